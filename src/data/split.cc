// Split and ReadChunk: chunks of stored objects, on record boundaries.
#include <algorithm>
#include <map>
#include <mutex>

#include "tern/data.h"
#include "tern/errors.h"

namespace tern::data {
namespace {

// How far past its end a line chunk reads at first to finish its last line;
// it doubles while no newline turns up. Lines are usually far shorter.
constexpr uint64_t kFirstOverread = 64 * 1024;

uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void CheckArguments(SplitBy split, Records records) {
  if (split.value == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                split.kind == SplitBy::Kind::kBytes
                    ? "Split: the chunk size must be positive"
                    : "Split: the chunk count must be positive");
  }
  if (records.kind == Records::Kind::kFixed && records.size == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "Split: the fixed record size must be positive");
  }
}

// Cuts one object of `size` bytes into chunks of about chunk_bytes, whole
// fixed records each when records are fixed.
void CutObject(const std::string& uri, const std::string& key, uint64_t size,
               uint64_t chunk_bytes, Records records, std::vector<Chunk>& out) {
  if (records.kind == Records::Kind::kFixed) {
    if (size % records.size != 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  "Split: object '" + key + "' holds " + std::to_string(size) +
                      " bytes, not a whole number of " +
                      std::to_string(records.size) + "-byte records");
    }
    chunk_bytes =
        std::max<uint64_t>(1, chunk_bytes / records.size) * records.size;
  }
  for (uint64_t offset = 0; offset < size; offset += chunk_bytes) {
    out.push_back(Chunk{uri, key, offset, std::min(chunk_bytes, size - offset),
                        size, records});
  }
}

}  // namespace

std::vector<Chunk> Split(ObjectStore& store, std::string_view prefix,
                         SplitBy split, Records records) {
  CheckArguments(split, records);
  std::vector<std::pair<std::string, uint64_t>> objects;
  uint64_t total = 0;
  for (std::string& key : store.List(prefix)) {
    std::optional<uint64_t> size = store.Size(key);
    if (!size) continue;  // deleted since the listing
    total += *size;
    objects.emplace_back(std::move(key), *size);
  }
  if (objects.empty()) {
    throw Error(ErrorCode::kNotFound, "Split: no objects under prefix '" +
                                          std::string(prefix) + "' in " +
                                          store.Uri());
  }
  uint64_t chunk_bytes =
      split.kind == SplitBy::Kind::kBytes
          ? split.value
          : std::max<uint64_t>(1, CeilDiv(total, split.value));
  std::vector<Chunk> chunks;
  for (const auto& [key, size] : objects) {
    CutObject(store.Uri(), key, size, chunk_bytes, records, chunks);
  }
  return chunks;
}

std::vector<Chunk> Split(const std::string& store_uri, std::string_view prefix,
                         SplitBy split, Records records) {
  std::vector<Chunk> chunks =
      Split(OpenStore(store_uri), prefix, split, records);
  // The store's Uri() masks secrets; tasks need the URI as given.
  for (Chunk& chunk : chunks) chunk.store = store_uri;
  return chunks;
}

namespace {

// Lines: skips the line in progress at the chunk's start (the previous chunk
// owns it) and finishes the last line that starts inside the chunk.
ChunkRecords ReadLines(ObjectStore& store, const Chunk& chunk) {
  uint64_t start = chunk.offset == 0 ? 0 : chunk.offset - 1;
  uint64_t end = chunk.offset + chunk.length;  // records must start before
  uint64_t overread = kFirstOverread;
  std::string buffer = store.GetRange(chunk.key, start, end - start + overread);
  size_t begin = 0;
  if (chunk.offset > 0) {
    // The byte before the chunk is read too: a newline there means a record
    // starts right at the chunk's first byte.
    size_t newline = buffer.find('\n');
    if (newline == std::string::npos || start + newline + 1 >= end) {
      return {};  // no record starts in this chunk
    }
    begin = newline + 1;
  }
  size_t owned = end - start;  // buffer bytes inside the chunk
  size_t finish = buffer.find('\n', owned - 1);
  while (finish == std::string::npos &&
         start + buffer.size() < chunk.object_size) {
    overread *= 2;
    uint64_t at = start + buffer.size();
    size_t searched = buffer.size();
    std::string more = store.GetRange(chunk.key, at, overread);
    if (more.empty()) break;  // shorter than when split: end at its end
    buffer += more;
    finish = buffer.find('\n', searched);
  }
  size_t stop = finish == std::string::npos ? buffer.size() : finish + 1;
  return ChunkRecords(std::move(buffer), begin, stop);
}

}  // namespace

ChunkRecords ReadChunk(ObjectStore& store, const Chunk& chunk) {
  if (chunk.length == 0) return {};
  if (chunk.records.kind == Records::Kind::kLines) {
    return ReadLines(store, chunk);
  }
  std::string buffer = store.GetRange(chunk.key, chunk.offset, chunk.length);
  if (buffer.size() != chunk.length) {
    throw Error(ErrorCode::kCorruption,
                "object '" + chunk.key + "' in " + store.Uri() +
                    " is shorter than when it was split (" +
                    std::to_string(chunk.object_size) + " bytes)");
  }
  size_t size = buffer.size();
  return ChunkRecords(std::move(buffer), 0, size);
}

ChunkRecords ReadChunk(const Chunk& chunk) {
  return ReadChunk(OpenStore(chunk.store), chunk);
}

ObjectStore& OpenStore(const std::string& uri) {
  static std::mutex mutex;
  static auto* stores = new std::map<std::string, std::unique_ptr<ObjectStore>>;
  std::lock_guard lock(mutex);
  auto& store = (*stores)[uri];
  if (!store) store = ObjectStore::Open(uri);
  return *store;
}

}  // namespace tern::data
