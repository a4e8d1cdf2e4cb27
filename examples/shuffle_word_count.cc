// A map over stored data and a shuffle, written as a user would: the text
// lies in the store under "example/text/"; every chunk of it is a task that
// counts its words and emits "word count" lines to partition hash(word); one
// reducer per partition adds up its partition's counts from every mapper.
// (tern::data::WordCount in tern/word_count.h is the fast version of this.)
//
//   build/examples/shuffle_word_count [partitions]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include "tern/tern.h"
#include "tern/word_count.h"  // the shuffle, and GenerateZipfText

using Counts = std::map<std::string, long>;

void CountChunk(std::string_view text, tern::data::ShuffleWriter& out) {
  Counts counts;
  std::istringstream words{std::string(text)};
  for (std::string word; words >> word;) ++counts[word];
  for (const auto& [word, n] : counts) {
    uint32_t partition = tern::data::HashPartition(word, out.partitions());
    out.Emit(partition, word + " " + std::to_string(n) + "\n");
  }
}

Counts AddUp(uint32_t, const std::vector<std::string>& pieces) {
  Counts total;
  for (const std::string& piece : pieces) {
    std::istringstream lines(piece);
    std::string word;
    for (long n; lines >> word >> n;) total[word] += n;
  }
  return total;
}

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  uint32_t partitions = argc > 1 ? std::atoi(argv[1]) : 4;
  auto ex = tern::Executor::FromConfig();
  tern::ObjectStore& store = tern::data::OpenStore(ex.options().store);
  for (int part = 0; part < 4; ++part) {
    store.Put("example/text/" + std::to_string(part),
              tern::data::GenerateZipfText(1, part, 4 << 20, 1000));
  }
  auto chunks = tern::data::Split(ex.options().store, "example/text/",
                                  tern::data::SplitBy::ChunkCount(8),
                                  tern::data::Records::Lines());
  auto shuffle =
      tern::data::MapShuffleReduce(ex, CountChunk, chunks, partitions, AddUp);
  long words = 0, distinct = 0;
  for (const Counts& part : tern::GetAllResults(shuffle.reducers)) {
    for (const auto& [word, n] : part) words += n, ++distinct;
  }
  tern::data::DeleteShuffle(store, shuffle.prefix);
  std::printf("%ld words, %ld distinct, in %zu chunks and %u partitions\n",
              words, distinct, chunks.size(), partitions);
}
