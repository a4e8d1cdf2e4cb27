// Sort in the Sort Benchmark format: 100-byte records with 10-byte keys.
//
//   auto chunks = tern::data::Split(ex.options().store, "sort/in/",
//                                   tern::data::SplitBy::ChunkBytes(64 << 20),
//                                   tern::data::Records::Fixed(100));
//   std::vector<std::string> parts = tern::data::Sort(ex, chunks, 16,
//                                                     "sort/out/");
//   tern::data::SortSummary out = tern::data::ValidateSortOutput(store, parts);
//
// A two-stage sort through the shuffle: the client samples keys from the
// start of every chunk and picks partitions - 1 splitters (quantiles), the
// mappers range-partition their records by them, each reducer sorts its
// partition and writes it as part-NNNNN. Concatenated in order, the parts
// are the sorted input. Reducers write deterministic output to fixed keys,
// so a re-run writes the same bytes again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tern/shuffle.h"

namespace tern::data {

inline constexpr size_t kSortRecordBytes = 100;
inline constexpr size_t kSortKeyBytes = 10;

// Records rows [first, first + count) of the benchmark input in gensort's
// ASCII layout (gensort -a), so that line tools such as sort(1) can sort it
// too: a 10-byte key of uniformly random printable characters, two spaces,
// the row number in 32 hex digits, two spaces, 52 filler letters, CR LF.
// Row r is the same whatever part of the input it is generated in.
std::string GenerateSortRecords(uint64_t first, uint64_t count);

// How many records and the sum of their CRC-32Cs: equal for two sets of
// records holding the same records in any order (valsort's checksum).
struct SortSummary {
  uint64_t records = 0;
  uint64_t checksum = 0;
  bool operator==(const SortSummary&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(records, checksum);
  }
};
// REQUIRES: records.size() is a multiple of kSortRecordBytes.
SortSummary Summarize(std::string_view records);

// Sorts 100-byte records by their 10-byte keys (unsigned bytes), stably:
// a radix sort of (key, index) pairs, then one pass that moves the records.
// Returns the sorted records. Throws Error(kInvalidArgument) unless
// records.size() is a multiple of kSortRecordBytes.
std::string SortRecords(std::string_view records);
// The same over records in several pieces (a reducer's input), as if joined
// in order, without joining them. Throws Error(kInvalidArgument) for a piece
// that is not whole records, or more than 65536 pieces.
std::string SortRecords(const std::vector<std::string_view>& pieces);

// The sort job: range-partitions every chunk's records into `partitions`
// partitions, sorts each and writes it to <output_prefix>part-NNNNN in
// ex.options().store. Returns the output keys in key order; `shuffle`, when
// given, receives the mappers' indexes (for accounting).
// Throws the first failed task's TaskError.
std::vector<std::string> Sort(Executor& ex, const std::vector<Chunk>& chunks,
                              uint32_t partitions,
                              const std::string& output_prefix,
                              std::vector<MapOutput>* shuffle = nullptr);

// Checks that the objects `keys`, read in order, hold records in
// non-decreasing key order, and returns their count and checksum (compare
// with Summarize of the input). Throws Error(kCorruption) naming the object
// and the record where the order breaks or a size that is not a whole
// number of records.
SortSummary ValidateSortOutput(ObjectStore& store,
                               const std::vector<std::string>& keys);

}  // namespace tern::data
