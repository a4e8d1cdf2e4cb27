// Word count: the counting kernel, the text generator and the shuffle job.
#include "tern/word_count.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "tern/errors.h"

namespace tern::data {
namespace {

// True for the bytes that separate words.
constexpr bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Hashes a word 8 bytes at a time. Loads may read up to 7 bytes past the
// word only when they stay inside [word, limit).
uint32_t HashWord(const char* word, size_t length, const char* limit) {
  uint64_t h = length * 0x9e3779b97f4a7c15ull;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t v;
    std::memcpy(&v, word + i, 8);
    h = (h ^ v) * 0xff51afd7ed558ccdull;
  }
  if (i < length) {
    uint64_t v = 0;
    size_t rest = length - i;
    if (word + i + 8 <= limit) {
      std::memcpy(&v, word + i, 8);
      v &= ~0ull >> (64 - 8 * rest);
    } else {
      std::memcpy(&v, word + i, rest);
    }
    h = (h ^ v) * 0xff51afd7ed558ccdull;
  }
  return uint32_t((h ^ (h >> 32)) * 0xc4ceb9fe1a85ec53ull >> 32);
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(char(v | 0x80));
    v >>= 7;
  }
  out.push_back(char(v));
}

uint64_t GetVarint(std::string_view& in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    uint8_t byte = uint8_t(in.front());
    in.remove_prefix(1);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  throw Error(ErrorCode::kCorruption, "word count: a truncated shuffle entry");
}

}  // namespace

WordCounter::WordCounter() : slots_(1 << 16), mask_((1 << 16) - 1) {}

uint32_t WordCounter::Hash(std::string_view word) {
  return HashWord(word.data(), word.size(), word.data() + word.size());
}

void WordCounter::Insert(const char* word, uint32_t length, uint32_t hash,
                         uint64_t count) {
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (!slot.word) {
      slot = Slot{word, length, hash, count};
      if (++size_ * 2 > slots_.size()) Grow();
      return;
    }
    if (slot.hash == hash && slot.length == length &&
        std::memcmp(slot.word, word, length) == 0) {
      slot.count += count;
      return;
    }
  }
}

void WordCounter::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (!slot.word) continue;
    size_t i = slot.hash & mask_;
    while (slots_[i].word) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

void WordCounter::AddText(std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && IsSpace(uint8_t(*p))) ++p;
    const char* word = p;
    while (p < end && !IsSpace(uint8_t(*p))) ++p;
    if (p > word) {
      size_t length = p - word;
      Insert(word, uint32_t(length), HashWord(word, length, end), 1);
    }
  }
}

void WordCounter::Add(std::string_view word, uint64_t count) {
  Insert(word.data(), uint32_t(word.size()), Hash(word), count);
}

std::vector<WordFrequency> WordCounter::Sorted() const {
  std::vector<WordFrequency> out;
  out.reserve(size_);
  ForEach([&](std::string_view word, uint64_t count, uint32_t) {
    out.emplace_back(std::string(word), count);
  });
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// The vocabulary: `size` distinct pseudo-random words, rank 0 first.
std::vector<std::string> Vocabulary(uint64_t seed, uint32_t size) {
  std::vector<std::string> words;
  std::set<std::string> seen;
  for (uint64_t i = 0; words.size() < size; ++i) {
    uint64_t bits = Mix(seed * 0x632be59bd9b4e019ull + i);
    size_t length = 2 + bits % 9 + (words.size() > 1000);
    std::string word;
    for (size_t c = 0; c < length; ++c) {
      bits = Mix(bits + c);
      word.push_back(char('a' + bits % 26));
    }
    if (seen.insert(word).second) words.push_back(std::move(word));
  }
  return words;
}

// Vose's alias method: O(1) draws from the Zipf distribution.
struct AliasTable {
  std::vector<double> probability;
  std::vector<uint32_t> alias;
  AliasTable(uint32_t n, double exponent) : probability(n), alias(n) {
    std::vector<double> weight(n);
    double total = 0;
    for (uint32_t r = 0; r < n; ++r)
      total += weight[r] = std::pow(r + 1.0, -exponent);
    std::vector<uint32_t> small, large;
    for (uint32_t r = 0; r < n; ++r) {
      weight[r] *= n / total;
      (weight[r] < 1 ? small : large).push_back(r);
    }
    while (!small.empty() && !large.empty()) {
      uint32_t s = small.back(), l = large.back();
      small.pop_back();
      probability[s] = weight[s];
      alias[s] = l;
      weight[l] -= 1 - weight[s];
      if (weight[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (uint32_t r : small) probability[r] = 1;
    for (uint32_t r : large) probability[r] = 1;
  }
};

}  // namespace

std::string GenerateZipfText(uint64_t seed, uint64_t part, uint64_t bytes,
                             uint32_t vocabulary, double exponent) {
  if (vocabulary == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "GenerateZipfText: the vocabulary must not be empty");
  }
  std::vector<std::string> words = Vocabulary(seed, vocabulary);
  AliasTable table(vocabulary, exponent);
  uint64_t state = Mix(seed ^ Mix(part + 1));
  std::string text;
  text.reserve(bytes);
  std::string line;
  while (true) {
    line.clear();
    for (int w = 0; w < 10; ++w) {
      uint64_t bits = Mix(state++);
      uint32_t rank = uint32_t((bits >> 32) * vocabulary >> 32);
      double coin = double(uint32_t(bits)) / 4294967296.0;
      if (coin >= table.probability[rank]) rank = table.alias[rank];
      if (w) line.push_back(' ');
      line += words[rank];
    }
    line.push_back('\n');
    if (text.size() + line.size() > bytes) break;
    text += line;
  }
  return text;
}

void WordCountMap(std::string_view text, ShuffleWriter& out) {
  WordCounter counter;
  counter.AddText(text);
  uint64_t partitions = out.partitions();
  counter.ForEach([&](std::string_view word, uint64_t count, uint32_t hash) {
    std::string& buffer = out.buffer(uint32_t(hash * partitions >> 32));
    PutVarint(buffer, word.size());
    buffer.append(word);
    PutVarint(buffer, count);
  });
}

std::vector<WordFrequency> WordCountReduce(
    uint32_t, const std::vector<std::string>& pieces) {
  WordCounter counter;
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      uint64_t length = GetVarint(piece);
      if (length > piece.size()) {
        throw Error(ErrorCode::kCorruption,
                    "word count: a shuffle entry overruns its piece");
      }
      std::string_view word = piece.substr(0, length);
      piece.remove_prefix(length);
      counter.Add(word, GetVarint(piece));
    }
  }
  return counter.Sorted();
}

std::vector<WordFrequency> WordCount(Executor& ex,
                                     const std::vector<Chunk>& chunks,
                                     uint32_t partitions) {
  auto shuffle =
      MapShuffleReduce(ex, &WordCountMap, chunks, partitions, &WordCountReduce);
  std::vector<WordFrequency> all;
  for (auto& part : GetAllResults(shuffle.reducers)) {
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  DeleteShuffle(OpenStore(ex.options().store), shuffle.prefix);
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace tern::data
