#include "linalg/executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "linalg/kernels.h"
#include "tern/coordinator.h"
#include "tern/errors.h"
#include "tern/object_store.h"
#include "util/host_name.h"
#include "util/process_memory.h"
#include "util/random_id.h"

namespace tern::linalg {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a loop task needs: everything by name, nothing by pointer.
struct RunSpec {
  std::string store;
  std::string coordinator;
  std::string program;
  std::string run;
  std::map<std::string, int64_t> parameters;
  std::map<std::string, std::string> arrays;  // input/output array -> prefix
  int64_t lease_ms = 10000;
  int64_t cache_bytes = 0;
  int loops = 1;
  bool keep_intermediates = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(store, coordinator, program, run, parameters, arrays, lease_ms,
       cache_bytes, loops, keep_intermediates);
  }
};

struct LoopStats {
  uint64_t tasks_run = 0;
  uint64_t replays_skipped = 0;
  double kernel_seconds = 0;
  double io_seconds = 0;
  double write_seconds = 0;
  double busy_seconds = 0;
  uint64_t blocks_read = 0;
  uint64_t cache_hits = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(tasks_run, replays_skipped, kernel_seconds, io_seconds, write_seconds,
       busy_seconds, blocks_read, cache_hits);
  }
};

// Names in the coordinator, all under the run's prefix.
struct RunNames {
  std::string prefix;
  // Each loop's queue, holding the ready tasks whose home it is (HomeLoop);
  // idle loops take from the others' (a dead loop's tasks are never
  // stranded).
  std::string LoopQueue(int loop) const {
    return prefix + "queue/" + std::to_string(loop);
  }
  std::string Completed() const { return prefix + "completed"; }
  // Kernels run, replays included, counted as they finish: a killed loop's
  // statistics die with it, this count does not.
  std::string KernelsRun() const { return prefix + "kernels_run"; }
  std::string Failure() const { return prefix + "failure"; }
  std::string Done(const Task& t) const { return prefix + "done/" + t.Key(); }
  std::string Arrived(const Task& t) const {
    return prefix + "arrived/" + t.Key();
  }
};

RunNames Names(const std::string& run) { return {"linalg/" + run + "/"}; }

// The loop a task belongs to: the owner of the block position it writes (the
// output's first two indices; later ones are versions), dealt out over a
// P x Q grid of loops block-cyclically, as ScaLAPACK deals blocks to
// processes. Every version of a block is then written and read by one loop,
// from its cache, and only the blocks other positions need cross loops.
int HomeLoop(const BoundProgram& program, const Task& task, int loops) {
  if (loops <= 1) return 0;
  std::vector<BlockRef> outputs = program.Call(task).outputs;
  if (outputs.empty()) return 0;
  const std::vector<int64_t>& index = outputs.front().index;
  return BlockOwner(index.empty() ? 0 : index[0],
                    index.size() < 2 ? 0 : index[1], loops);
}

// Enqueues tasks on their home loops' queues.
void EnqueueAtHome(Coordinator& coordinator, const RunNames& names,
                   const BoundProgram& program, const std::vector<Task>& tasks,
                   int loops) {
  std::map<int, std::vector<std::string>> by_loop;
  for (const Task& task : tasks) {
    by_loop[HomeLoop(program, task, loops)].push_back(task.Key());
  }
  for (const auto& [loop, keys] : by_loop) {
    coordinator.Enqueue(names.LoopQueue(loop), keys);
  }
}

Program ProgramByName(const std::string& name) {
  for (Program p :
       {GemmProgram(), CholeskyProgram(), TrsmProgram(), SyrkProgram()}) {
    if (p.name() == name) return p;
  }
  throw Error(ErrorCode::kInvalidArgument, "no linalg program " + name);
}

// Blocks by name: BigMatrix blocks for bound arrays, run-scoped objects for
// intermediate ones; a cache of the blocks this loop read or wrote last.
class BlockIo {
 public:
  BlockIo(const RunSpec& spec) : spec_(spec) {
    store_ = ObjectStore::Open(spec.store);
    for (const auto& [array, prefix] : spec.arrays) {
      matrices_.emplace(array, BigMatrix::Open(spec.store, prefix));
    }
  }

  BlockPtr Read(const BlockRef& ref) {
    std::optional<std::pair<int64_t, int64_t>> shape;
    std::string key = Key(ref, &shape);
    if (key.empty())
      return std::make_shared<Block>(shape->first, shape->second);
    ++reads_;
    if (BlockPtr cached = Lookup(key)) {
      ++hits_;
      return cached;
    }
    // Mapped, not copied, where the store can: on a file store in memory a
    // block another loop wrote costs this one no copy and no memory.
    std::optional<SharedBytes> bytes = store_->Map(key);
    if (!bytes) {
      throw Error(ErrorCode::kNotFound, "block " + Describe(ref) + " (" + key +
                                            ") not found in " + store_->Uri());
    }
    auto block = std::make_shared<const Block>(
        Block::Parse(std::move(*bytes), key, shape ? shape->first : -1,
                     shape ? shape->second : -1));
    Remember(key, block);
    return block;
  }

  void Write(const BlockRef& ref, BlockPtr block) {
    std::optional<std::pair<int64_t, int64_t>> shape;
    std::string key = Key(ref, &shape);
    if (key.empty() || (shape && (block->rows() != shape->first ||
                                  block->cols() != shape->second))) {
      throw Error(
          ErrorCode::kInvalidArgument,
          "kernel output " + Describe(ref) + " does not fit its matrix");
    }
    store_->Put(key, block->bytes());
    Remember(key, std::move(block));
  }

  // Whether ref names a block of a temporary array (a run-scoped object),
  // not one of a bound input or output matrix.
  bool IsTemporary(const BlockRef& ref) const {
    return matrices_.count(ref.array) == 0;
  }

  // Deletes a block from the store and this loop's cache.
  void Delete(const BlockRef& ref) {
    std::optional<std::pair<int64_t, int64_t>> shape;
    std::string key = Key(ref, &shape);
    if (key.empty()) return;
    store_->Delete(key);
    std::lock_guard lock(mutex_);
    auto found = cache_.find(key);
    if (found == cache_.end()) return;
    cached_bytes_ -= int64_t(found->second.first->bytes().size());
    order_.erase(found->second.second);
    cache_.erase(found);
  }

  uint64_t reads() const { return reads_; }
  uint64_t hits() const { return hits_; }

 private:
  static std::string Describe(const BlockRef& ref) {
    std::string text = ref.array + "[";
    for (size_t k = 0; k < ref.index.size(); ++k) {
      text += (k ? "," : "") + std::to_string(ref.index[k]);
    }
    return text + "]";
  }

  // The store key of a block; "" for a block a lower matrix does not store
  // (it is zero). Sets *shape for blocks of bound matrices.
  std::string Key(const BlockRef& ref,
                  std::optional<std::pair<int64_t, int64_t>>* shape) const {
    auto found = matrices_.find(ref.array);
    if (found == matrices_.end()) {
      std::string key = "linalg/" + spec_.run + "/" + ref.array + "/";
      for (size_t k = 0; k < ref.index.size(); ++k) {
        key += (k ? "_" : "") + std::to_string(ref.index[k]);
      }
      return key;
    }
    const BigMatrix& m = found->second;
    if (ref.index.size() != 2) {
      throw Error(ErrorCode::kInvalidArgument,
                  "block " + Describe(ref) + " of a matrix needs two indices");
    }
    *shape = m.BlockShape(ref.index[0], ref.index[1]);
    if (!m.Stored(ref.index[0], ref.index[1])) return "";
    return m.BlockKey(ref.index[0], ref.index[1]);
  }

  BlockPtr Lookup(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto found = cache_.find(key);
    if (found == cache_.end()) return nullptr;
    order_.splice(order_.begin(), order_, found->second.second);
    return found->second.first;
  }

  void Remember(const std::string& key, BlockPtr block) {
    int64_t size = int64_t(block->bytes().size());
    if (size > spec_.cache_bytes) return;
    std::lock_guard lock(mutex_);
    if (cache_.count(key)) return;
    order_.push_front(key);
    cache_.emplace(key, std::pair{std::move(block), order_.begin()});
    cached_bytes_ += size;
    while (cached_bytes_ > spec_.cache_bytes) {
      auto last = cache_.find(order_.back());
      cached_bytes_ -= int64_t(last->second.first->bytes().size());
      cache_.erase(last);
      order_.pop_back();
    }
  }

  const RunSpec& spec_;
  std::unique_ptr<ObjectStore> store_;
  std::map<std::string, BigMatrix> matrices_;
  std::mutex mutex_;
  std::list<std::string> order_;  // most recently used first
  std::unordered_map<std::string,
                     std::pair<BlockPtr, std::list<std::string>::iterator>>
      cache_;
  int64_t cached_bytes_ = 0;
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> hits_{0};
};

// Renews a leased message every lease/3 until destroyed: however long the
// kernel runs, the lease never lapses while this loop lives.
class Heartbeat {
 public:
  Heartbeat(Coordinator& coordinator, const std::string& queue,
            const LeasedMessage& message, std::chrono::milliseconds lease)
      : thread_([&coordinator, queue, message, lease, this] {
          std::unique_lock lock(mutex_);
          while (!wake_.wait_for(lock, lease / 3, [this] { return stop_; })) {
            lock.unlock();
            try {
              coordinator.Renew(queue, message, lease);
            } catch (const Error&) {
              // A renewal the coordinator missed: the next one may land;
              // a lost lease only means another loop may replay the task.
            }
            lock.lock();
          }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class Loop {
 public:
  Loop(int index, const RunSpec& spec)
      : index_(index),
        spec_(spec),
        names_(Names(spec.run)),
        program_(ProgramByName(spec.program).Bind(spec.parameters)),
        total_(int64_t(program_->TaskCount())),
        coordinator_(Coordinator::Open(spec.coordinator)),
        io_(spec) {}

  LoopStats Run() {
    auto lease = std::chrono::milliseconds(spec_.lease_ms);
    coordinator_->Put(host_prefix_ + "loop/" + LoopKey(), "1");
    coordinator_->DeletePrefix(IdleKey());  // a restarted loop's stale mark
    while (!Finished()) {
      auto [queue, messages] = Next(lease);
      MarkIdle(messages.empty());
      for (const LeasedMessage& message : messages) {
        auto start = Clock::now();
        {
          Heartbeat heartbeat(*coordinator_, queue, message, lease);
          Process(Task::FromKey(message.body));
        }
        coordinator_->Ack(queue, {message.id});
        stats_.busy_seconds += Since(start);
      }
    }
    stats_.blocks_read = io_.reads();
    stats_.cache_hits = io_.hits();
    return stats_;
  }

 private:
  // A task from this loop's queue, else another loop's; when all are empty,
  // waits a little on its own (briefly: work may turn up on another's).
  std::pair<std::string, std::vector<LeasedMessage>> Next(
      std::chrono::milliseconds lease) {
    for (int k = 0; k < spec_.loops; ++k) {
      std::string queue = names_.LoopQueue((index_ + k) % spec_.loops);
      auto messages = coordinator_->Lease(queue, 1, lease, Millis(0));
      if (!messages.empty()) return {queue, messages};
    }
    std::string own = names_.LoopQueue(index_);
    return {own, coordinator_->Lease(own, 1, lease, Millis(20))};
  }

  // Loops waiting for work lend their cores to the loops of their host
  // that run kernels: at the DAG's serial start and end, where one chain of
  // tasks runs alone, its kernels get every core of the host rather than
  // one. Loops register under the host's name and mark themselves idle
  // while they wait; a kernel takes 1 + the idle loops' threads, never more
  // than the cores the host's busy loops leave. A lender wakes for work the
  // borrower releases after its kernel, so the two rarely overlap.
  std::string LoopKey() const { return std::to_string(index_) + "."; }
  std::string IdleKey() const { return host_prefix_ + "idle/" + LoopKey(); }

  void MarkIdle(bool idle) {
    if (idle == idle_) return;
    if (idle) {
      coordinator_->Put(IdleKey(), "1");
    } else {
      coordinator_->DeletePrefix(IdleKey());
    }
    idle_ = idle;
  }

  int BlasThreads() {
    return BlasThreadsToUse(
        int(coordinator_->ListKeys(host_prefix_ + "idle/").size()),
        int(coordinator_->ListKeys(host_prefix_ + "loop/").size()),
        int(std::max(1u, std::thread::hardware_concurrency())));
  }

  bool Finished() {
    return coordinator_->Add(names_.Completed(), 0) >= total_ ||
           coordinator_->Get(names_.Failure()).has_value();
  }

  void Process(const Task& task) {
    if (coordinator_->Get(names_.Done(task))) {
      ++stats_.replays_skipped;
      return;
    }
    KernelCall call = program_->Call(task);
    auto start = Clock::now();
    std::vector<BlockPtr> inputs;
    try {
      inputs = ReadInputs(call.inputs);
    } catch (const Error& e) {
      // A second delivery of a task that another loop has finished since
      // (and deleted the inputs of) is a replay, not a failure.
      if (e.code() != ErrorCode::kNotFound ||
          !coordinator_->Get(names_.Done(task))) {
        throw;
      }
      ++stats_.replays_skipped;
      return;
    }
    stats_.io_seconds += Since(start);
    start = Clock::now();
    std::optional<Block> output;
    try {
      UseBlasThreads(BlasThreads());
      output = RunKernel(call.kernel, inputs);
    } catch (const Error& e) {
      coordinator_->PutIfAbsent(names_.Failure(),
                                program_->Describe(task) + ": " + e.what());
      return;
    }
    stats_.kernel_seconds += Since(start);
    ++stats_.tasks_run;
    coordinator_->Add(names_.KernelsRun(), 1);
    start = Clock::now();
    auto block = std::make_shared<const Block>(std::move(*output));
    for (const BlockRef& ref : call.outputs) io_.Write(ref, block);
    stats_.io_seconds += Since(start);
    stats_.write_seconds += Since(start);
    ReleaseChildren(task);
    coordinator_->AddOnce({{names_.Completed(), task.Key(), 1}});
    coordinator_->Put(names_.Done(task), "1");
    DeleteDeadInputs(task, call);
  }

  // Reads a task's inputs, those not cached in parallel.
  std::vector<BlockPtr> ReadInputs(const std::vector<BlockRef>& refs) {
    std::vector<std::future<BlockPtr>> reads;
    for (const BlockRef& ref : refs) {
      reads.push_back(std::async(
          refs.size() > 1 ? std::launch::async : std::launch::deferred,
          [this, &ref] { return io_.Read(ref); }));
    }
    std::vector<BlockPtr> blocks;
    for (auto& read : reads) blocks.push_back(read.get());
    return blocks;
  }

  // Deletes the temporary blocks this task was the only reader of (every
  // version of a trailing-matrix block in tern's programs), so that the store
  // holds the live intermediates rather than all of them (at n = 16384 in
  // 2048-blocks, 84 blocks of 32 MiB), and the client has nothing to sweep.
  // After the done record: a later delivery of this task is then skipped,
  // never left without its input; a loop dying in between leaves the block
  // to the client's sweep.
  void DeleteDeadInputs(const Task& task, const KernelCall& call) {
    if (spec_.keep_intermediates) return;
    for (const BlockRef& ref : call.inputs) {
      if (io_.IsTemporary(ref) && OnlyReader(task, ref)) io_.Delete(ref);
    }
  }

  // Whether task is the one task reading ref, among the children of the
  // parent that wrote it.
  bool OnlyReader(const Task& task, const BlockRef& ref) const {
    auto writes = [&](const Task& t) {
      std::vector<BlockRef> outputs = program_->Call(t).outputs;
      return std::find(outputs.begin(), outputs.end(), ref) != outputs.end();
    };
    auto reads = [&](const Task& t) {
      std::vector<BlockRef> inputs = program_->Call(t).inputs;
      return std::find(inputs.begin(), inputs.end(), ref) != inputs.end();
    };
    for (const Task& parent : program_->Parents(task)) {
      if (!writes(parent)) continue;
      for (const Task& reader : program_->Children(parent)) {
        if (reader != task && reads(reader)) return false;
      }
      return true;
    }
    return false;
  }

  // One edge per child, counted once however often this task is replayed;
  // a child at its parent count is enqueued even when this add was a
  // replay's, as the run that added it may have died before enqueueing.
  void ReleaseChildren(const Task& task) {
    std::vector<Task> children = program_->Children(task);
    if (children.empty()) return;
    std::vector<OnceAdd> adds;
    for (const Task& child : children) {
      adds.push_back({names_.Arrived(child), task.Key(), 1});
    }
    std::vector<OnceAddResult> counts = coordinator_->AddOnce(adds);
    std::vector<Task> ready;
    for (size_t k = 0; k < children.size(); ++k) {
      if (counts[k].value == int64_t(program_->Parents(children[k]).size())) {
        ready.push_back(children[k]);
      }
    }
    EnqueueAtHome(*coordinator_, names_, *program_, ready, spec_.loops);
  }

  int index_;
  const RunSpec& spec_;
  RunNames names_;
  std::shared_ptr<const BoundProgram> program_;
  int64_t total_;
  std::unique_ptr<Coordinator> coordinator_;
  BlockIo io_;
  LoopStats stats_;
  const std::string host_prefix_ = names_.prefix + "host/" + HostName() + "/";
  bool idle_ = false;
};

LoopStats RunLoop(int index, RunSpec spec) {
  KeepFreedMemoryMapped();
  UseBlasThreads(1);
  return Loop(index, spec).Run();
}

std::string NewRunId() { return RandomHex(16); }

// Waits for the loops, starting again those lost to killed processes while
// the program is unfinished. Returns the failure to report, if any.
std::optional<std::string> SuperviseLoops(Executor& ex, const RunSpec& spec,
                                          Coordinator& coordinator, int loops,
                                          int64_t total,
                                          const RunOptions& options,
                                          RunStats& stats) {
  RunNames names = Names(spec.run);
  std::vector<int> indices(loops);
  for (int i = 0; i < loops; ++i) indices[i] = i;
  std::vector<Future<LoopStats>> running = ex.Map(RunLoop, indices, spec);
  std::optional<std::string> failure;
  while (!running.empty()) {
    WaitResult<LoopStats> waited = Wait(running, ANY_COMPLETED);
    running = waited.not_done;
    for (const Future<LoopStats>& loop : waited.done) {
      try {
        LoopStats s = loop.Result();
        stats.replays_skipped += s.replays_skipped;
        stats.kernel_seconds += s.kernel_seconds;
        stats.io_seconds += s.io_seconds;
        stats.write_seconds += s.write_seconds;
        stats.blocks_read += s.blocks_read;
        stats.cache_hits += s.cache_hits;
        stats.busy_core_seconds += s.busy_seconds;
      } catch (const TaskError& e) {
        bool unfinished = coordinator.Add(names.Completed(), 0) < total &&
                          !coordinator.Get(names.Failure());
        if (e.kind() == FailureKind::kUserException) {
          // The loop itself failed (a block it could not read, say): stop
          // the others and report it.
          coordinator.PutIfAbsent(names.Failure(),
                                  std::string("a loop failed: ") + e.what());
        } else if (unfinished &&
                   stats.loop_restarts < options.max_loop_restarts) {
          ++stats.loop_restarts;
          running.push_back(ex.CallAsync(RunLoop, int(loop.index()), spec));
        } else if (unfinished) {
          coordinator.PutIfAbsent(
              names.Failure(),
              std::string("loops lost too often; the last: ") + e.what());
        }
      }
    }
  }
  return coordinator.Get(names.Failure());
}

// Deletes what the loops left of a run's intermediate blocks; returns how
// many there were.
uint64_t DeleteIntermediates(ObjectStore& store, const std::string& run) {
  std::vector<std::string> keys = store.List("linalg/" + run + "/");
  for (const std::string& key : keys) store.Delete(key);
  return keys.size();
}

}  // namespace

int BlockOwner(int64_t i, int64_t j, int loops) {
  int p = 1;  // grid rows: the largest divisor of loops up to its root
  for (int d = 1; d * d <= loops; ++d) {
    if (loops % d == 0) p = d;
  }
  int q = loops / p;
  return int((i % p) * q + j % q);
}

int BlasThreadsToUse(int idle_loops, int loops_on_host, int cores) {
  int busy = std::max(1, loops_on_host - idle_loops);
  return 1 + std::clamp(std::min(idle_loops, cores - busy), 0, cores - 1);
}

void RunProgram(Executor& ex, const Program& program,
                const std::map<std::string, int64_t>& parameters,
                const std::vector<BigMatrix>& inputs,
                const std::vector<BigMatrix>& outputs,
                const RunOptions& options, RunStats* stats_out) {
  auto start = Clock::now();
  std::shared_ptr<const BoundProgram> bound = program.Bind(parameters);
  RunSpec spec{ex.options().store,
               ex.options().coordinator,
               program.name(),
               NewRunId(),
               parameters,
               {},
               options.lease.count(),
               options.cache_bytes};
  spec.keep_intermediates = options.keep_intermediates;
  std::vector<std::string> input_names = program.InputArrays();
  std::vector<std::string> output_names = program.OutputArrays();
  if (input_names.size() != inputs.size() ||
      output_names.size() != outputs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                program.name() + " takes " +
                    std::to_string(input_names.size()) + " input and " +
                    std::to_string(output_names.size()) + " output matrices");
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    spec.arrays[input_names[k]] = inputs[k].prefix();
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    spec.arrays[output_names[k]] = outputs[k].prefix();
  }
  RunStats stats;
  stats.run_id = spec.run;
  stats.tasks = bound->TaskCount();
  stats.loops = options.loops > 0 ? options.loops : ex.options().workers;
  spec.loops = stats.loops;

  std::unique_ptr<Coordinator> coordinator =
      Coordinator::Open(ex.options().coordinator);
  RunNames names = Names(spec.run);
  EnqueueAtHome(*coordinator, names, *bound, bound->Starters(), stats.loops);
  std::optional<std::string> failure =
      SuperviseLoops(ex, spec, *coordinator, stats.loops, int64_t(stats.tasks),
                     options, stats);
  int64_t completed = coordinator->Add(names.Completed(), 0);
  stats.tasks_run = uint64_t(coordinator->Add(names.KernelsRun(), 0));
  if (!options.keep_intermediates) {
    stats.intermediates_swept = DeleteIntermediates(
        inputs.empty() ? outputs[0].store() : inputs[0].store(), spec.run);
    coordinator->DeletePrefix(names.prefix);
  }
  if (failure) {
    // Half a result is no result: remove it unless asked to keep state.
    if (!options.keep_intermediates) {
      for (const BigMatrix& m : outputs) m.Delete();
    }
    throw Error(ErrorCode::kTaskFailed, *failure);
  }
  if (completed < int64_t(stats.tasks)) {
    throw Error(ErrorCode::kTaskFailed,
                program.name() + ": the loops ended with " +
                    std::to_string(completed) + " of " +
                    std::to_string(stats.tasks) + " tasks done");
  }
  stats.wall_seconds = Since(start);
  stats.reserved_core_seconds = stats.loops * stats.wall_seconds;
  if (stats_out) *stats_out = stats;
}

}  // namespace tern::linalg

// ---- The public operations (tern/linalg.h).

namespace tern::linalg {
namespace {

void RequireSquareBlocks(const BigMatrix& m, int64_t block) {
  if (m.block_rows() != block || m.block_cols() != block) {
    throw Error(ErrorCode::kInvalidArgument,
                "matrix " + m.prefix() + " has " +
                    std::to_string(m.block_rows()) + "x" +
                    std::to_string(m.block_cols()) + " blocks; this needs " +
                    std::to_string(block) + "x" + std::to_string(block));
  }
}

std::string OutPrefix(const RunOptions& options, const std::string& what) {
  if (!options.out_prefix.empty()) return options.out_prefix;
  return "linalg/results/" + what + "-" + NewRunId();
}

}  // namespace

BigMatrix Gemm(Executor& ex, const BigMatrix& a, const BigMatrix& b,
               const RunOptions& options, RunStats* stats) {
  int64_t block = a.block_rows();
  RequireSquareBlocks(a, block);
  RequireSquareBlocks(b, block);
  if (a.cols() != b.rows()) {
    throw Error(ErrorCode::kInvalidArgument,
                "gemm: " + a.prefix() + " has " + std::to_string(a.cols()) +
                    " columns but " + b.prefix() + " has " +
                    std::to_string(b.rows()) + " rows");
  }
  BigMatrix c =
      BigMatrix::Create(ex.options().store, OutPrefix(options, "gemm"),
                        a.rows(), b.cols(), block, block);
  RunProgram(ex, GemmProgram(),
             {{"M", a.grid_rows()}, {"N", b.grid_cols()}, {"K", a.grid_cols()}},
             {a, b}, {c}, options, stats);
  return c;
}

BigMatrix Trsm(Executor& ex, const BigMatrix& l, const BigMatrix& b,
               const RunOptions& options, RunStats* stats) {
  int64_t block = l.block_rows();
  RequireSquareBlocks(l, block);
  RequireSquareBlocks(b, block);
  if (l.rows() != l.cols() || l.rows() != b.rows()) {
    throw Error(ErrorCode::kInvalidArgument,
                "trsm: " + l.prefix() + " is " + std::to_string(l.rows()) +
                    "x" + std::to_string(l.cols()) +
                    "; it must be square with " + std::to_string(b.rows()) +
                    " rows, as " + b.prefix() + " has");
  }
  BigMatrix x =
      BigMatrix::Create(ex.options().store, OutPrefix(options, "trsm"),
                        b.rows(), b.cols(), block, block);
  RunProgram(ex, TrsmProgram(), {{"N", l.grid_rows()}, {"M", b.grid_cols()}},
             {l, b}, {x}, options, stats);
  return x;
}

BigMatrix Syrk(Executor& ex, const BigMatrix& a, const RunOptions& options,
               RunStats* stats) {
  int64_t block = a.block_rows();
  RequireSquareBlocks(a, block);
  BigMatrix c =
      BigMatrix::Create(ex.options().store, OutPrefix(options, "syrk"),
                        a.rows(), a.rows(), block, block, Structure::kLower);
  RunProgram(ex, SyrkProgram(), {{"N", a.grid_rows()}, {"K", a.grid_cols()}},
             {a}, {c}, options, stats);
  return c;
}

BigMatrix Cholesky(Executor& ex, const BigMatrix& a, const RunOptions& options,
                   RunStats* stats) {
  RequireSquareBlocks(a, a.block_rows());
  if (a.rows() != a.cols()) {
    throw Error(ErrorCode::kInvalidArgument,
                "cholesky: matrix " + a.prefix() + " is " +
                    std::to_string(a.rows()) + "x" + std::to_string(a.cols()) +
                    ", not square");
  }
  BigMatrix l = BigMatrix::Create(
      ex.options().store, OutPrefix(options, "cholesky"), a.rows(), a.cols(),
      a.block_rows(), a.block_cols(), Structure::kLower);
  RunProgram(ex, CholeskyProgram(), {{"N", a.grid_rows()}}, {a}, {l}, options,
             stats);
  return l;
}

}  // namespace tern::linalg
