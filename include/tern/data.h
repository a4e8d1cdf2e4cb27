// tern::data: map a function over the data stored under a prefix.
//
//   auto chunks = tern::data::Split(ex.options().store, "logs/",
//                                   tern::data::SplitBy::ChunkBytes(64 << 20),
//                                   tern::data::Records::Lines());
//   auto futures = ex.Map(CountErrors, chunks);
//
//   long CountErrors(const tern::data::Chunk& chunk) {
//     tern::data::ChunkRecords records = tern::data::ReadChunk(chunk);
//     ...records.data() holds exactly the whole lines this chunk owns...
//   }
//
// Split() cuts every object under a prefix into chunks: serialisable
// descriptors (store URI, key, byte range, record format) that travel to
// tasks as Map inputs. A chunk owns the records that START in its range (the
// Hadoop rule): ReadChunk() skips the partial record at its start, which the
// previous chunk owns, and reads a little past its end to finish its last
// record. So every record is read by exactly one task, whole, however the
// chunks fall; a record longer than a chunk belongs to the chunk it starts in
// and the chunks it covers own nothing. Fixed-size records are cut on record
// boundaries and need no overread. Each task reads only its byte range (plus
// the 1 MiB checksum blocks it touches, docs/shuffle.md).
//
// Objects are read through ObjectStore, so they must have been written by it
// (tern storage put, ObjectStore::Put, or a tern task).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/executor.h"
#include "tern/object_store.h"

namespace tern::data {

// How an object is divided into records.
struct Records {
  enum class Kind { kLines, kFixed };
  Kind kind = Kind::kLines;
  uint64_t size = 0;  // bytes per record, for kFixed

  // Newline-terminated records; the last may lack its newline.
  static Records Lines() { return {Kind::kLines, 0}; }
  // Records of exactly `bytes` bytes each (e.g. 100 for the Sort Benchmark).
  static Records Fixed(uint64_t bytes) { return {Kind::kFixed, bytes}; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, size);
  }
};

// How big the chunks are.
struct SplitBy {
  enum class Kind { kBytes, kCount };
  Kind kind = Kind::kBytes;
  uint64_t value = 0;

  // Chunks of about `bytes` each (the last of each object is shorter).
  static SplitBy ChunkBytes(uint64_t bytes) { return {Kind::kBytes, bytes}; }
  // About n chunks over all the objects: the chunk size is the total size
  // over n, and an object smaller than that is one chunk of its own.
  static SplitBy ChunkCount(uint64_t n) { return {Kind::kCount, n}; }
};

// One task's share of one object: a Map input.
struct Chunk {
  std::string store;  // ObjectStore URI the task opens
  std::string key;
  uint64_t offset = 0;       // first byte of the range
  uint64_t length = 0;       // bytes in the range
  uint64_t object_size = 0;  // size of the whole object
  Records records;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(store, key, offset, length, object_size, records);
  }
};

// Lists the objects under prefix (a plain string prefix) and cuts them into
// chunks, in key order. Empty objects give no chunks.
// Throws Error(kInvalidArgument) for a zero chunk size, count or record
// size, or an object whose size is not a multiple of a fixed record size
// (naming the key); Error(kNotFound) when no object starts with prefix.
std::vector<Chunk> Split(const std::string& store_uri, std::string_view prefix,
                         SplitBy split, Records records);
std::vector<Chunk> Split(ObjectStore& store, std::string_view prefix,
                         SplitBy split, Records records);

// The whole records a chunk owns, in one buffer.
class ChunkRecords {
 public:
  ChunkRecords() = default;
  ChunkRecords(std::string buffer, size_t begin, size_t end)
      : buffer_(std::move(buffer)), begin_(begin), end_(end) {}
  // The records back to back (lines keep their newlines).
  std::string_view data() const {
    return std::string_view(buffer_).substr(begin_, end_ - begin_);
  }

 private:
  std::string buffer_;
  size_t begin_ = 0, end_ = 0;
};

// Reads the records chunk owns, from the store chunk.store names (opened once
// per process, OpenStore). Throws the store's errors (kNotFound naming the
// key when the object is gone, kCorruption when it fails its checksums).
ChunkRecords ReadChunk(const Chunk& chunk);
ChunkRecords ReadChunk(ObjectStore& store, const Chunk& chunk);

// Calls f(std::string_view line) for each line of data, without its newline.
template <class F>
void ForEachLine(std::string_view data, F&& f) {
  while (!data.empty()) {
    size_t end = data.find('\n');
    if (end == std::string_view::npos) end = data.size();
    f(data.substr(0, end));
    data.remove_prefix(std::min(data.size(), end + 1));
  }
}

// Maps f(const Chunk&) over the chunks of the objects under prefix in the
// executor's store: one task per chunk. Returns the tasks' futures.
template <class F>
auto MapObjects(Executor& ex, F&& f, std::string_view prefix, SplitBy split,
                Records records) {
  return ex.Map(std::forward<F>(f),
                Split(ex.options().store, prefix, split, records));
}

// The store at uri, opened once per process and kept open (thread-safe):
// tasks of one process share its connections.
ObjectStore& OpenStore(const std::string& uri);

}  // namespace tern::data
