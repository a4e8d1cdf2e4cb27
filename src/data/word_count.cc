// Word count: the counting kernel, the text generator and the shuffle job.
#include "tern/word_count.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <set>

#include "tern/errors.h"

namespace tern::data {

// A word's first 16 bytes, zero-padded, and its hash. The slots keep the
// prefix, so most lookups compare two integers and never touch the text.
struct internal::WordKey {
  uint64_t a = 0, b = 0;
  uint32_t hash = 0;
};

namespace {

using internal::WordKey;

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Loads 8 bytes of word from `at`, keeping only those before `end`; reads
// whole 8 bytes when that stays inside [.., limit).
inline uint64_t Load(const char* at, const char* end, const char* limit) {
  if (at >= end) return 0;
  uint64_t v = 0;
  size_t n = end - at;
  if (at + 8 <= limit) {
    std::memcpy(&v, at, 8);
    return n >= 8 ? v : v & (~0ull >> (64 - 8 * n));
  }
  std::memcpy(&v, at, n < 8 ? n : 8);
  return v;
}

// The hash of the first 16 bytes; words longer than that mix in the rest.
inline uint64_t PrefixHash(uint64_t a, uint64_t b, size_t length) {
  uint64_t h = (a ^ length * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
  return (h ^ (h >> 32) ^ b) * 0xc4ceb9fe1a85ec53ull;
}

inline uint32_t FinalHash(uint64_t h) {
  return uint32_t((h ^ (h >> 29)) >> 32);
}

inline WordKey MakeKey(const char* word, size_t length, const char* limit) {
  const char* end = word + length;
  WordKey key{Load(word, end, limit), Load(word + 8, end, limit), 0};
  uint64_t h = PrefixHash(key.a, key.b, length);
  for (const char* at = word + 16; at < end; at += 8) {
    h = (h ^ (h >> 32) ^ Load(at, end, limit)) * 0xff51afd7ed558ccdull;
  }
  key.hash = FinalHash(h);
  return key;
}

// Which bytes separate words.
constexpr std::array<bool, 256> kSpace = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {' ', '\n', '\t', '\r'}) table[c] = true;
  return table;
}();

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

WordCounter::WordCounter() : slots_(1 << 16), mask_((1 << 16) - 1) {
  static_assert(sizeof(Slot) == 32);
}

uint32_t WordCounter::Hash(std::string_view word) {
  return MakeKey(word.data(), word.size(), word.data() + word.size()).hash;
}

uint32_t WordCounter::SlotHash(const Slot& slot) {
  if (slot.length() > 16) return Hash(slot.word());
  return FinalHash(PrefixHash(slot.a, slot.b, slot.length()));
}

inline void WordCounter::Insert(const char* word, uint32_t length,
                                const internal::WordKey& key, uint64_t count) {
  if (length >= kLongWord) {
    long_words_[std::string_view(word, length)] += count;
    return;
  }
  for (size_t i = key.hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.a == key.a && slot.b == key.b && slot.length() == length &&
        slot.word_length &&
        (length <= 16 ||
         std::memcmp(slot.word().data() + 16, word + 16, length - 16) == 0)) {
      slot.count += count;
      return;
    }
    if (!slot.word_length) {
      slot =
          Slot{key.a, key.b, uint64_t(uintptr_t(word)) << 16 | length, count};
      // Linear probing up to 3/4 full keeps the table small (see Slot).
      if (++size_ * 4 > slots_.size() * 3) Grow();
      return;
    }
  }
}

void WordCounter::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (!slot.word_length) continue;
    size_t i = SlotHash(slot) & mask_;
    while (slots_[i].word_length) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

void WordCounter::AddText(std::string_view text) {
  // Words go in batches: the first pass finds them, hashes them and
  // prefetches their slots, the second counts them, so that the cache misses
  // of a batch (the rare words of a large vocabulary) overlap.
  constexpr int kBatch = 16;
  struct Found {
    const char* word;
    uint32_t length;
    WordKey key;
  } batch[kBatch];
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    int n = 0;
    while (n < kBatch && p < end) {
      while (p < end && kSpace[uint8_t(*p)]) ++p;
      const char* word = p;
      while (p < end && !kSpace[uint8_t(*p)]) ++p;
      if (p == word) break;
      batch[n] = {word, uint32_t(p - word), MakeKey(word, p - word, end)};
      __builtin_prefetch(&slots_[batch[n].key.hash & mask_]);
      ++n;
    }
    for (int i = 0; i < n; ++i) {
      Insert(batch[i].word, batch[i].length, batch[i].key, 1);
    }
  }
}

void WordCounter::Add(std::string_view word, uint64_t count) {
  const char* end = word.data() + word.size();
  Insert(word.data(), uint32_t(word.size()),
         MakeKey(word.data(), word.size(), end), count);
}

std::vector<WordFrequency> WordCounter::Sorted() const {
  // Sort the slots by their prefixes, read big-endian (byte order), and build
  // strings only in the end: comparing two integers per word, in an array,
  // is cheaper than comparing strings that live all over the heap.
  struct Entry {
    uint64_t a, b;
    const Slot* slot;
  };
  std::vector<Entry> entries;
  entries.reserve(size_);
  for (const Slot& slot : slots_) {
    if (slot.word_length) {
      entries.push_back(
          {__builtin_bswap64(slot.a), __builtin_bswap64(slot.b), &slot});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.a != y.a) return x.a < y.a;
    if (x.b != y.b) return x.b < y.b;
    // Equal zero-padded prefixes: the shorter word is a prefix of
    // the longer, unless both go on past 16 bytes.
    return x.slot->word() < y.slot->word();
  });
  std::vector<WordFrequency> out;
  out.reserve(size());
  for (const Entry& entry : entries) {
    out.emplace_back(std::string(entry.slot->stored_word()), entry.slot->count);
  }
  if (!long_words_.empty()) {
    for (const auto& [word, count] : long_words_) {
      out.emplace_back(std::string(word), count);
    }
    std::sort(out.begin(), out.end());
  }
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
  // Each reducer's words come sorted: merge the runs rather than sort all.
  std::vector<WordFrequency> all;
  std::vector<size_t> runs{0};
  for (auto& part : GetAllResults(shuffle.reducers)) {
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
    runs.push_back(all.size());
  }
  DeleteShuffle(OpenStore(ex.options().store), shuffle.prefix);
  for (size_t width = 1; width + 1 < runs.size(); width *= 2) {
    for (size_t i = 0; i + width + 1 < runs.size(); i += 2 * width) {
      size_t end = runs[std::min(i + 2 * width, runs.size() - 1)];
      std::inplace_merge(all.begin() + runs[i], all.begin() + runs[i + width],
                         all.begin() + end);
    }
  }
  return all;
}

}  // namespace tern::data
