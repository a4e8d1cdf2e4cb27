// Sort Benchmark records: generator, checksum, radix sort kernel, the job.
#include "tern/sort.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "tern/errors.h"
#include "util/crc32c.h"

namespace tern::data {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t BigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

void CheckWhole(std::string_view records, const char* who) {
  if (records.size() % kSortRecordBytes != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(who) + ": " + std::to_string(records.size()) +
                    " bytes are not a whole number of 100-byte records");
  }
}

// What the radix sort orders: the whole 10-byte key and the record's index.
// 16 bytes: the key, which of the pieces and which record in it.
struct Entry {
  uint64_t high;  // key bytes 0-7, big-endian
  uint16_t low;   // key bytes 8-9, big-endian
  uint16_t piece;
  uint32_t index;
};

uint8_t Digit(const Entry& e, int pass) {  // pass 0 is the least significant
  return pass < 2 ? uint8_t(e.low >> (8 * pass))
                  : uint8_t(e.high >> (8 * (pass - 2)));
}

// LSD radix sort on the 10 key bytes; passes whose digit is the same for
// every entry (the high bytes within one range partition) are skipped.
void RadixSort(std::vector<Entry>& entries) {
  constexpr int kPasses = kSortKeyBytes;
  std::vector<std::array<uint64_t, 256>> counts(kPasses);
  for (auto& c : counts) c.fill(0);
  for (const Entry& e : entries) {
    for (int pass = 0; pass < kPasses; ++pass) ++counts[pass][Digit(e, pass)];
  }
  std::vector<Entry> scratch(entries.size());
  for (int pass = 0; pass < kPasses; ++pass) {
    auto& count = counts[pass];
    if (std::find(count.begin(), count.end(), entries.size()) != count.end()) {
      continue;  // one bucket holds everything
    }
    uint64_t sum = 0;
    for (uint64_t& c : count) sum += std::exchange(c, sum);
    for (const Entry& e : entries) scratch[count[Digit(e, pass)]++] = e;
    entries.swap(scratch);
  }
}

}  // namespace

std::string GenerateSortRecords(uint64_t first, uint64_t count) {
  std::string out(count * kSortRecordBytes, '\0');
  char* p = out.data();
  for (uint64_t row = first; row < first + count; ++row, p += 100) {
    uint64_t a = Mix(row * 2), b = Mix(row * 2 + 1);
    for (int i = 0; i < 10; ++i) {  // 95 printable characters, uniformly
      uint64_t& bits = i < 5 ? a : b;
      p[i] = char(' ' + bits % 95);
      bits /= 95;
    }
    std::snprintf(p + 10, 37, "  %016llX%016llX  ", 0ull,
                  static_cast<unsigned long long>(row));
    for (int i = 0; i < 52; ++i) p[46 + i] = char('A' + (row + i) % 26);
    p[98] = '\r';
    p[99] = '\n';
  }
  return out;
}

SortSummary Summarize(std::string_view records) {
  CheckWhole(records, "Summarize");
  SortSummary summary;
  for (size_t at = 0; at < records.size(); at += kSortRecordBytes) {
    summary.checksum += crc32c::Value(records.substr(at, kSortRecordBytes));
    ++summary.records;
  }
  return summary;
}

std::string SortRecords(const std::vector<std::string_view>& pieces) {
  if (pieces.size() > 65536) {
    throw Error(ErrorCode::kInvalidArgument,
                "SortRecords: at most 65536 pieces");
  }
  size_t n = 0;
  for (std::string_view piece : pieces) {
    CheckWhole(piece, "SortRecords");
    n += piece.size() / kSortRecordBytes;
  }
  std::vector<Entry> entries;
  entries.reserve(n);
  for (size_t p = 0; p < pieces.size(); ++p) {
    const char* key = pieces[p].data();
    for (size_t i = 0; i < pieces[p].size() / kSortRecordBytes;
         ++i, key += kSortRecordBytes) {
      entries.push_back(Entry{BigEndian64(key),
                              uint16_t(uint8_t(key[8]) << 8 | uint8_t(key[9])),
                              uint16_t(p), uint32_t(i)});
    }
  }
  RadixSort(entries);
  std::string out(n * kSortRecordBytes, '\0');
  char* to = out.data();
  // The records are gathered from all over the input: prefetch ahead.
  constexpr size_t kAhead = 8;
  auto record = [&](const Entry& e) {
    return pieces[e.piece].data() + size_t(e.index) * kSortRecordBytes;
  };
  for (size_t i = 0; i < n; ++i, to += kSortRecordBytes) {
    if (i + kAhead < n) __builtin_prefetch(record(entries[i + kAhead]));
    std::memcpy(to, record(entries[i]), kSortRecordBytes);
  }
  return out;
}

std::string SortRecords(std::string_view records) {
  return SortRecords(std::vector<std::string_view>{records});
}

namespace {

// The mapper: finds each record's partition among the splitters, counts
// the partitions, then moves every record straight to its place in the one
// buffer the shuffle writes.
struct SortMap {
  std::vector<std::string> splitters;  // partitions - 1 keys, ascending

  uint32_t PartitionOf(std::string_view key) const {
    return uint32_t(
        std::upper_bound(
            splitters.begin(), splitters.end(), key,
            [](std::string_view k, const std::string& s) { return k < s; }) -
        splitters.begin());
  }

  void operator()(std::string_view records, ShuffleWriter& out) const {
    CheckWhole(records, "sort mapper");
    size_t n = records.size() / kSortRecordBytes;
    uint32_t partitions = out.partitions();
    std::vector<uint32_t> partition(n);
    std::vector<uint64_t> offsets(partitions + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      partition[i] =
          PartitionOf(records.substr(i * kSortRecordBytes, kSortKeyBytes));
      ++offsets[partition[i] + 1];
    }
    for (uint32_t p = 0; p < partitions; ++p) {
      offsets[p + 1] = offsets[p] + offsets[p + 1] * kSortRecordBytes;
    }
    std::vector<uint64_t> next(offsets.begin(), offsets.end() - 1);
    std::string data(records.size(), '\0');
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(data.data() + next[partition[i]],
                  records.data() + i * kSortRecordBytes, kSortRecordBytes);
      next[partition[i]] += kSortRecordBytes;
    }
    out.SetLayout(std::move(data), std::move(offsets));
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(splitters);
  }
};

// Splitters for equal partitions: quantiles of keys sampled from the start
// of every chunk (one ranged read each: the keys need not be uniform).
std::vector<std::string> SampleSplitters(const std::vector<Chunk>& chunks,
                                         uint32_t partitions) {
  constexpr uint64_t kSampleBytes = 1000 * kSortRecordBytes;
  std::vector<std::string> keys;
  for (const Chunk& chunk : chunks) {
    std::string sample = OpenStore(chunk.store)
                             .GetRange(chunk.key, chunk.offset,
                                       std::min(chunk.length, kSampleBytes));
    for (size_t at = 0; at + kSortRecordBytes <= sample.size();
         at += kSortRecordBytes) {
      keys.push_back(sample.substr(at, kSortKeyBytes));
    }
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> splitters;
  for (uint32_t p = 1; p < partitions && !keys.empty(); ++p) {
    splitters.push_back(keys[keys.size() * p / partitions]);
  }
  return splitters;
}

std::string PartKey(const std::string& prefix, uint32_t partition) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05u", partition);
  return prefix + name;
}

// The reducer: sorts its partition and writes it to a fixed key.
struct SortReduce {
  std::string store, prefix;
  std::string operator()(uint32_t partition,
                         const std::vector<std::string>& pieces) const {
    std::string key = PartKey(prefix, partition);
    OpenStore(store).Put(key, SortRecords(std::vector<std::string_view>(
                                  pieces.begin(), pieces.end())));
    return key;
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(store, prefix);
  }
};

}  // namespace

std::vector<std::string> Sort(Executor& ex, const std::vector<Chunk>& chunks,
                              uint32_t partitions,
                              const std::string& output_prefix,
                              std::vector<MapOutput>* maps) {
  if (partitions == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "Sort: partitions must be positive");
  }
  auto shuffle = MapShuffleReduce(
      ex, SortMap{SampleSplitters(chunks, partitions)}, chunks, partitions,
      SortReduce{ex.options().store, output_prefix});
  std::vector<std::string> keys = GetAllResults(shuffle.reducers);
  DeleteShuffle(OpenStore(ex.options().store), shuffle.prefix);
  if (maps) *maps = std::move(shuffle.maps);
  return keys;
}

SortSummary ValidateSortOutput(ObjectStore& store,
                               const std::vector<std::string>& keys) {
  SortSummary total;
  std::string previous;  // the last key seen, across objects
  for (const std::string& key : keys) {
    std::optional<std::string> data = store.Get(key);
    if (!data) {
      throw Error(ErrorCode::kNotFound,
                  "sort output '" + key + "' not found in " + store.Uri());
    }
    if (data->size() % kSortRecordBytes != 0) {
      throw Error(ErrorCode::kCorruption,
                  "sort output '" + key + "' holds " +
                      std::to_string(data->size()) +
                      " bytes, not a whole number of 100-byte records");
    }
    for (size_t at = 0; at < data->size(); at += kSortRecordBytes) {
      std::string_view record(data->data() + at, kSortRecordBytes);
      std::string_view key_bytes = record.substr(0, kSortKeyBytes);
      if (!previous.empty() && key_bytes < std::string_view(previous)) {
        throw Error(ErrorCode::kCorruption,
                    "sort output '" + key + "' is out of order at record " +
                        std::to_string(at / kSortRecordBytes));
      }
      previous.assign(key_bytes);
      total.checksum += crc32c::Value(record);
      ++total.records;
    }
  }
  return total;
}

}  // namespace tern::data
