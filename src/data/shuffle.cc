// The shuffle: one object per mapper, ranged reads per reducer.
#include "tern/shuffle.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "tern/errors.h"
#include "util/process_memory.h"
#include "util/random_id.h"

namespace tern::data {
namespace {}  // namespace

ShuffleWriter::ShuffleWriter(uint32_t partitions) : buffers_(partitions) {
  if (partitions == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "ShuffleWriter: partitions must be positive");
  }
}

void ShuffleWriter::SetLayout(std::string data, std::vector<uint64_t> offsets) {
  bool ok = offsets.size() == buffers_.size() + 1 && offsets.front() == 0 &&
            offsets.back() == data.size();
  for (size_t p = 1; ok && p < offsets.size(); ++p) {
    ok = offsets[p - 1] <= offsets[p];
  }
  if (!ok) {
    throw Error(ErrorCode::kInvalidArgument,
                "ShuffleWriter::SetLayout: offsets must be partitions + 1 "
                "ascending values from 0 to the data's size");
  }
  for (std::string& buffer : buffers_) std::string().swap(buffer);
  laid_out_ = std::move(data);
  offsets_ = std::move(offsets);
}

MapOutput ShuffleWriter::Write(ObjectStore& store, const std::string& key) {
  if (offsets_.empty()) {
    size_t total = 0;
    for (const std::string& buffer : buffers_) total += buffer.size();
    laid_out_.reserve(total);
    offsets_.push_back(0);
    for (std::string& buffer : buffers_) {
      laid_out_ += buffer;
      std::string().swap(buffer);
      offsets_.push_back(laid_out_.size());
    }
  }
  store.Put(key, laid_out_);
  return MapOutput{key, offsets_};
}

std::vector<std::string> ReadPieces(ObjectStore& store,
                                    const std::vector<ShufflePiece>& pieces,
                                    int threads) {
  std::vector<std::string> out(pieces.size());
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (size_t i; (i = next++) < pieces.size();) {
      const ShufflePiece& piece = pieces[i];
      if (piece.length == 0) continue;
      try {
        out[i] = store.GetRange(piece.key, piece.offset, piece.length);
        if (out[i].size() != piece.length) {
          throw Error(ErrorCode::kCorruption,
                      "shuffle object '" + piece.key + "' in " + store.Uri() +
                          " is truncated: its partition ends at byte " +
                          std::to_string(piece.offset + piece.length) +
                          ", the object at " +
                          std::to_string(piece.offset + out[i].size()));
        }
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = pieces.size();
      }
    }
  };
  int n = std::max(1, std::min<int>(threads, int(pieces.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

uint32_t HashPartition(std::string_view key, uint32_t partitions) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a, then a final mix
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  hash ^= hash >> 29;
  return uint32_t(
      (static_cast<unsigned __int128>(hash * 0xbf58476d1ce4e5b9ull) *
       partitions) >>
      64);
}

uint32_t RangePartition(std::string_view key, uint32_t partitions) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) {
    prefix = prefix << 8 | (i < key.size() ? uint8_t(key[i]) : 0);
  }
  return uint32_t((static_cast<unsigned __int128>(prefix) * partitions) >> 64);
}

void DeleteShuffle(ObjectStore& store, const std::string& prefix) {
  for (const std::string& key : store.List(prefix)) store.Delete(key);
}

namespace internal {

void KeepLargeBuffers() { KeepFreedMemoryMapped(); }

std::string NewShufflePrefix() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return "shuffle/" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(now)
                 .count()) +
         "-" + RandomHex(8) + "/";
}

std::string AttemptKey(const std::string& prefix, uint64_t index) {
  return prefix + "map-" + std::to_string(index) + "." + RandomHex(12);
}

std::vector<ReduceInput> PlanReducers(const std::vector<MapOutput>& maps,
                                      uint32_t partitions) {
  std::vector<ReduceInput> plan(partitions);
  for (uint32_t p = 0; p < partitions; ++p) {
    plan[p].partition = p;
    plan[p].pieces.reserve(maps.size());
  }
  for (const MapOutput& map : maps) {
    if (map.offsets.size() != size_t(partitions) + 1) {
      throw Error(ErrorCode::kCorruption,
                  "shuffle: the index of '" + map.key + "' has " +
                      std::to_string(map.offsets.size()) +
                      " offsets, not partitions + 1");
    }
    for (uint32_t p = 0; p < partitions; ++p) {
      plan[p].pieces.push_back(
          {map.key, map.offsets[p], map.offsets[p + 1] - map.offsets[p]});
    }
  }
  return plan;
}

}  // namespace internal
}  // namespace tern::data
