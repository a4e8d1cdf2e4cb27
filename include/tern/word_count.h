// Word count: a counting kernel, a Zipf text generator, and the shuffle job.
//
//   auto chunks = tern::data::Split(ex.options().store, "text/",
//                                   tern::data::SplitBy::ChunkBytes(32 << 20),
//                                   tern::data::Records::Lines());
//   std::vector<tern::data::WordFrequency> counts =
//       tern::data::WordCount(ex, chunks, 8);
//
// A word is a maximal run of bytes other than space, tab, CR and LF. Mappers
// count their chunk with WordCounter (an open-addressing hash table over
// views of the chunk: no allocation per word) and emit one (word, count)
// entry per distinct word to partition hash(word); each reducer merges its
// partition.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tern/shuffle.h"

namespace tern::data {

using WordFrequency = std::pair<std::string, uint64_t>;

namespace internal {
struct WordKey;  // a word's prefix and hash (word_count.cc)
}

// Counts words. Keeps views of the text it is given: the text must outlive
// the counter. Not thread-safe.
class WordCounter {
 public:
  WordCounter();
  // Counts every word of text.
  void AddText(std::string_view text);
  // Adds count occurrences of word.
  void Add(std::string_view word, uint64_t count);
  // Distinct words.
  size_t size() const { return size_ + long_words_.size(); }
  // Calls f(std::string_view word, uint64_t count, uint32_t hash) for each
  // distinct word, in no particular order. Words of up to 16 bytes are read
  // from the table (the view lives as long as the counter), not the text.
  template <class F>
  void ForEach(F&& f) const {
    for (const Slot& slot : slots_) {
      if (slot.word_length) f(slot.stored_word(), slot.count, SlotHash(slot));
    }
    for (const auto& [word, count] : long_words_) f(word, count, Hash(word));
  }
  // Every (word, count), sorted by word.
  std::vector<WordFrequency> Sorted() const;
  // The hash the counter files word under (deterministic across processes).
  static uint32_t Hash(std::string_view word);

 private:
  // 32 bytes, so that two counters of a large vocabulary share a last-level
  // cache well: the word's first 16 bytes (zero-padded), its address and
  // length in one word (user-space addresses fit in 48 bits), its count.
  struct Slot {
    uint64_t a = 0, b = 0;
    uint64_t word_length = 0;  // address << 16 | length; 0: empty
    uint64_t count = 0;
    uint32_t length() const { return uint32_t(word_length & 0xffff); }
    std::string_view word() const {
      return {reinterpret_cast<const char*>(word_length >> 16), length()};
    }
    // The word, from the prefix when it holds all of it: no access to the
    // text, whose words lie scattered (a cache miss each).
    std::string_view stored_word() const {
      return length() <= 16 ? std::string_view(
                                  reinterpret_cast<const char*>(this), length())
                            : word();
    }
  };
  // Hash(slot.word()), from the prefix when it holds the whole word.
  static uint32_t SlotHash(const Slot& slot);
  // Words longer than a slot's length field holds (rare) are kept apart.
  static constexpr size_t kLongWord = 0xffff;

  void Insert(const char* word, uint32_t length, const internal::WordKey& key,
              uint64_t count);
  void Grow();

  std::vector<Slot> slots_;
  std::unordered_map<std::string_view, uint64_t> long_words_;
  size_t size_ = 0;
  size_t mask_ = 0;
};

// Deterministic text of Zipf-distributed words: as many whole lines of ten
// words as fit in `bytes` (so it ends with a newline), from a vocabulary of
// `vocabulary` distinct lower-case words, rank r drawn with probability
// proportional to 1 / r^exponent. Part `part` of a corpus uses its own random
// stream, so parts can be made in parallel.
std::string GenerateZipfText(uint64_t seed, uint64_t part, uint64_t bytes,
                             uint32_t vocabulary = 1 << 18,
                             double exponent = 1.0);

// The shuffle's map and reduce functions (usable on their own): the mapper
// emits (varint length, word, varint count) entries; the reducer merges them
// and returns its partition's counts, sorted by word.
void WordCountMap(std::string_view text, ShuffleWriter& out);
std::vector<WordFrequency> WordCountReduce(
    uint32_t partition, const std::vector<std::string>& pieces);

// Counts the words of every chunk with `partitions` reducers; returns every
// (word, count) sorted by word. Deletes its shuffle objects.
// Throws the first failed task's TaskError.
std::vector<WordFrequency> WordCount(Executor& ex,
                                     const std::vector<Chunk>& chunks,
                                     uint32_t partitions);

}  // namespace tern::data
