// TaskHost: the child process in which a worker runs its tasks.
//
// A task's crash, runaway loop or memory blow-up must cost only itself, so the
// worker (the supervisor) never runs user code: it forks a host process, sends
// it a batch of inputs over a pipe, and reads back one outcome frame per task.
// The host's stdout and stderr go to a memory file that the supervisor slices
// per task. By default a host runs one task and exits (every task starts from
// a fresh process); with reuse the host lives on across tasks and batches of a
// job and of later jobs, which removes the fork from the per-task cost.
//
// The supervisor enforces the task timeout and memory limit (SIGKILL), notices
// a host's death at once (pidfd), and calls a heartbeat so the worker can renew
// leases and see cancellation. Not thread-safe: one TaskHost per worker thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/errors.h"
#include "tern/internal/function_ref.h"

namespace tern::internal {

struct HostLimits {
  std::chrono::milliseconds timeout{0};  // 0: none
  uint64_t memory_limit_bytes = 0;       // 0: none
  bool reuse = false;
};

// Tasks of one job for a host: the function, its extra arguments, the inputs.
struct HostWork {
  const FunctionRef& function;
  std::string_view extra;
  std::span<const std::string> inputs;
};

struct Outcome {
  bool ok = false;
  bool cancelled = false;  // stopped because the heartbeat said so
  FailureKind kind = FailureKind::kUserException;
  std::string type;  // exception type or signal name
  std::string message;
  std::string payload;  // encoded result when ok
  std::string log;      // captured output of this task
  int64_t started_us = 0;
  int64_t finished_us = 0;
};

// What a worker's heartbeat decides about the batch in hand.
enum class Verdict {
  kContinue,
  kAbandonTask,  // stop the running task (another attempt already won)
  kCancelAll,    // stop the batch (the job was cancelled)
};
// Called with the position (in Run's inputs) of the running task and how long
// it has been running.
using Heartbeat =
    std::function<Verdict(size_t running, std::chrono::steady_clock::duration)>;

class TaskHost {
 public:
  // reader serves reducers inside the host; it must connect lazily (it is
  // first used in the child process).
  explicit TaskHost(MapResultReader* reader);
  TaskHost(const TaskHost&) = delete;
  TaskHost& operator=(const TaskHost&) = delete;
  ~TaskHost();

  // Runs fn over inputs and returns one outcome per input, in order. heartbeat
  // runs every heartbeat_interval while tasks run; an abandoned task or a
  // cancelled batch costs the host (killed) and yields outcomes marked
  // cancelled; the rest of the batch goes on in a new host.
  std::vector<Outcome> Run(const FunctionRef& fn, const std::string& extra,
                           const std::vector<std::string>& inputs,
                           const HostLimits& limits,
                           const Heartbeat& heartbeat,
                           std::chrono::milliseconds heartbeat_interval);

 private:
  // Runs work in the live host (sending it first if send) until all of it
  // finishes or the host dies; appends the outcomes. Returns false when the
  // heartbeat cancelled the batch.
  bool RunInHost(const HostWork& work, bool send, const HostLimits& limits,
                 const Heartbeat& heartbeat,
                 std::chrono::milliseconds heartbeat_interval,
                 std::vector<Outcome>& outcomes);
  // Forks a host. With work, the host runs just that and exits; without, it
  // serves batches sent over its pipe until the pipe closes.
  void Spawn(const HostLimits& limits, const HostWork* work);
  Outcome Reap(FailureKind killed_for, const std::string& why);
  void Kill();

  MapResultReader* reader_;
  int log_fd_ = -1;        // memfd shared with every host
  uint64_t log_read_ = 0;  // where the current task's output begins
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int to_host_ = -1;
  int from_host_ = -1;
  uint64_t baseline_rss_ = 0;
  uint64_t host_memory_limit_ = 0;  // the limit the live host was forked with
};

// Entry of a forked host process (never returns).
[[noreturn]] void HostMain(int in_fd, int out_fd, const HostWork* first,
                           MapResultReader* reader);

}  // namespace tern::internal
