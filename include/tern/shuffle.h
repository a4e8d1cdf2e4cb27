// A shuffle stage: mappers emit records to partitions, reducers each read
// one partition from every mapper.
//
//   void Map(std::string_view lines, tern::data::ShuffleWriter& out) {
//     ... out.Emit(tern::data::HashPartition(word, out.partitions()), bytes);
//   }
//   Counts Reduce(uint32_t partition, const std::vector<std::string>& pieces);
//
//   auto shuffle = tern::data::MapShuffleReduce(ex, Map, chunks, 16, Reduce);
//   for (auto& f : shuffle.reducers) use(f.Result());
//
// Each mapper writes ONE object holding all its partitions back to back, and
// returns the partition offsets (the index) as its task result; a reducer
// gets from the client the (key, offset, length) of its partition in every
// mapper's object and reads them with ranged GETs, several at a time. So a
// shuffle of M mappers and R reducers stores M objects, not M x R, and costs
// M puts and at most M x R ranged gets; docs/shuffle.md gives the cost model.
//
// Attempt safety: a mapper that runs twice (a retry, a speculative backup)
// writes each attempt to its own key (map-<i>.<random>); only the attempt
// whose result the coordinator committed is ever read, so a re-run never
// duplicates records. Losing attempts' objects stay until DeleteShuffle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tern/data.h"
#include "tern/executor.h"
#include "tern/future.h"

namespace tern::data {

// Where one mapper's share of one partition lies.
struct ShufflePiece {
  std::string key;
  uint64_t offset = 0;
  uint64_t length = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, offset, length);
  }
};

// What a mapper returns: its object and where each partition starts
// (offsets[p] .. offsets[p + 1]; offsets.size() == partitions + 1).
struct MapOutput {
  std::string key;
  std::vector<uint64_t> offsets;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, offsets);
  }
};

// Collects one mapper's output, partition by partition, in memory, and
// writes it as one object. Not thread-safe.
class ShuffleWriter {
 public:
  // REQUIRES: partitions > 0.
  explicit ShuffleWriter(uint32_t partitions);

  uint32_t partitions() const { return uint32_t(buffers_.size()); }
  // Appends bytes to partition. The framing of records is the caller's
  // (fixed-size, newline-terminated, length-prefixed): a reducer gets the
  // bytes back exactly. REQUIRES: partition < partitions().
  void Emit(uint32_t partition, std::string_view bytes) {
    buffers_[partition].append(bytes);
  }
  // The buffer of one partition, for callers that append in place.
  std::string& buffer(uint32_t partition) { return buffers_[partition]; }
  // Hands over output already laid out: partition p is
  // data[offsets[p], offsets[p + 1]). Replaces anything emitted; saves the
  // copy that joins the partitions (a sort's mapper scatters records into
  // place). Throws Error(kInvalidArgument) unless offsets has partitions()+1
  // ascending entries from 0 to data.size().
  void SetLayout(std::string data, std::vector<uint64_t> offsets);

  // Writes the partitions back to back as the object key and returns the
  // index. Throws the store's errors.
  MapOutput Write(ObjectStore& store, const std::string& key);

 private:
  std::vector<std::string> buffers_;
  std::string laid_out_;
  std::vector<uint64_t> offsets_;
};

// Reads the pieces (one partition from each mapper) with up to `threads`
// ranged GETs at a time; returns their bytes in order.
// Throws Error(kNotFound) or Error(kCorruption) naming the shuffle object
// that is missing, truncated or fails its checksums.
std::vector<std::string> ReadPieces(ObjectStore& store,
                                    const std::vector<ShufflePiece>& pieces,
                                    int threads = 8);

// The partition of a key: a hash (for word counts and joins) or the key's
// place in a uniform range of its first 8 bytes, big-endian (for sorts of
// uniformly distributed keys; equal-width ranges).
uint32_t HashPartition(std::string_view key, uint32_t partitions);
uint32_t RangePartition(std::string_view key, uint32_t partitions);

struct ShuffleOptions {
  // Parallel ranged GETs per reducer. More hide the latency of S3.
  int read_threads = 8;
};

// A reducer's input: its partition and where that partition lies in each
// mapper's object.
struct ReduceInput {
  uint32_t partition = 0;
  std::vector<ShufflePiece> pieces;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(partition, pieces);
  }
};

namespace internal {

// A mapper's input: its number and its chunk.
struct MapInput {
  uint64_t index = 0;
  Chunk chunk;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(index, chunk);
  }
};

// Lets this process keep large buffers in its heap between tasks instead of
// unmapping them: a reused task process then skips the page faults and page
// clearing of a fresh mapping per buffer (a fifth of a sort's time). Once per
// process; the process keeps its peak heap.
void KeepLargeBuffers();

// A fresh prefix for one shuffle's objects: shuffle/<time>-<random>/.
std::string NewShufflePrefix();
// The key of one mapper attempt's object: <prefix>map-<i>.<random>.
std::string AttemptKey(const std::string& prefix, uint64_t index);
// The reducers' inputs from the mappers' outputs.
std::vector<ReduceInput> PlanReducers(const std::vector<MapOutput>& maps,
                                      uint32_t partitions);

// The mapper task: reads its chunk, runs the user's map_fn, writes its
// object. F is the user's function type; fn its shipped state.
template <class F>
struct ShuffleMapTask {
  std::string fn, store, prefix;
  uint32_t partitions = 1;
  MapOutput operator()(const MapInput& in) const {
    KeepLargeBuffers();
    F f = tern::internal::LoadFunction<F>(fn);
    ChunkRecords records = ReadChunk(in.chunk);
    ShuffleWriter out(partitions);
    f(records.data(), out);
    return out.Write(OpenStore(store), AttemptKey(prefix, in.index));
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(fn, store, prefix, partitions);
  }
};

template <class F>
struct ShuffleReduceTask {
  std::string fn, store;
  int threads = 8;
  auto operator()(const ReduceInput& in) const {
    KeepLargeBuffers();
    F f = tern::internal::LoadFunction<F>(fn);
    std::vector<std::string> pieces =
        ReadPieces(OpenStore(store), in.pieces, threads);
    return f(in.partition, pieces);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(fn, store, threads);
  }
};

}  // namespace internal

// Deletes the objects of a finished shuffle (every attempt's).
void DeleteShuffle(ObjectStore& store, const std::string& prefix);

// What MapShuffleReduce hands back.
template <class R>
struct Shuffled {
  std::vector<Future<R>> reducers;  // one per partition, in order
  std::string prefix;               // where the mappers' objects are
  std::vector<MapOutput> maps;      // the mappers' objects and indexes
};

// Runs map_fn(std::string_view records, ShuffleWriter& out) over every chunk
// (one task each, reading only its chunk), waits for the mappers, then runs
// reduce_fn(uint32_t partition, const std::vector<std::string>& pieces) once
// per partition, pieces being that partition's bytes from each mapper in
// chunk order. Returns the reducers' futures without waiting for them.
// map_fn and reduce_fn ship as any Map function does (plain functions,
// captureless lambdas, function objects with serialize()). The intermediate
// objects go to ex.options().store under a fresh prefix.
// Throws the first mapper's TaskError if a mapper failed, after deleting
// what the mappers wrote.
template <class MapF, class ReduceF>
auto MapShuffleReduce(Executor& ex, const MapF& map_fn,
                      const std::vector<Chunk>& chunks, uint32_t partitions,
                      const ReduceF& reduce_fn, ShuffleOptions options = {}) {
  using M = std::decay_t<MapF>;
  using RF = std::decay_t<ReduceF>;
  if (partitions == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "MapShuffleReduce: partitions must be positive");
  }
  std::string prefix = internal::NewShufflePrefix();
  const std::string& store = ex.options().store;
  std::vector<internal::MapInput> inputs;
  for (uint64_t i = 0; i < chunks.size(); ++i) inputs.push_back({i, chunks[i]});
  auto maps = ex.Map(
      internal::ShuffleMapTask<M>{tern::internal::SaveFunction(M(map_fn)),
                                  store, prefix, partitions},
      inputs);
  std::vector<MapOutput> outputs;
  try {
    outputs = GetAllResults(maps);
  } catch (...) {  // nobody will know the prefix: clean up what was written
    Wait(maps, ALL_COMPLETED);
    DeleteShuffle(OpenStore(store), prefix);
    throw;
  }
  std::vector<ReduceInput> plan = internal::PlanReducers(outputs, partitions);
  auto reducers = ex.Map(
      internal::ShuffleReduceTask<RF>{
          tern::internal::SaveFunction(RF(reduce_fn)), store,
          options.read_threads},
      plan);
  using R =
      tern::internal::ResultOf<internal::ShuffleReduceTask<RF>, ReduceInput>;
  return Shuffled<R>{std::move(reducers), prefix, std::move(outputs)};
}

}  // namespace tern::data
