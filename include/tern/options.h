// ExecutorOptions: everything that shapes how an Executor runs its jobs.
//
// Options come from three places, later ones winning: tern's defaults below,
// the YAML config file (TERN_CONFIG, else ~/.tern/config.yaml), TERN_*
// environment variables, and finally whatever the program sets in code before
// building an Executor. LoadOptions() applies the first three;
// docs/user-guide.md lists every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tern {

struct ExecutorOptions {
  // ObjectStore URI for large inputs, results and logs. Empty: file:// under
  // tern's home (TERN_HOME, else ~/.tern), created on first use.
  std::string store;
  // Coordinator URI. Empty: sqlite:// under tern's home.
  std::string coordinator;
  // Who runs the tasks: "local" starts worker processes of this binary here;
  // "agents" leaves them to `tern worker` agents on any hosts that share the
  // stores, and uploads this binary to the store for them (once per hash).
  std::string backend = "local";
  // Local worker processes to run at most. 0: one per core.
  int workers = 0;
  // Kill an attempt that runs longer than this. 0: no limit.
  std::chrono::milliseconds task_timeout{0};
  // Kill an attempt whose memory grows by more than this. 0: no limit.
  uint64_t memory_limit_bytes = 0;
  // Attempts of a task before its loss is reported (a worker dying mid-task
  // costs one attempt; a task's own failure is reported at once).
  int max_attempts = 3;
  // Speculative execution: a task running longer than this many times the
  // median run time of its finished siblings gets a backup attempt on another
  // worker; the first to commit wins and the other is stopped. 0 turns it off.
  // Tasks must then be safe to run twice (as retries already require).
  double speculation = 4.0;
  // Run each task in a fresh process (false: the stateless default), or reuse
  // one process for many tasks of a job for the lowest overhead (true).
  bool reuse_processes = false;
  // How long a worker holds a task before others may take it over; renewed by
  // heartbeats while the task runs, so it bounds only how soon a dead worker's
  // tasks are re-run.
  std::chrono::milliseconds lease{5000};
  // A worker with nothing to do exits after this long.
  std::chrono::milliseconds worker_idle{2000};
  // Inputs and results up to this size ride inside coordinator messages and
  // records; larger ones go through the object store.
  uint64_t inline_limit_bytes = 64 * 1024;
  // Progress bar on stderr while waiting: "auto" (when stderr is a terminal),
  // "always" or "never".
  std::string progress = "auto";
};

// Defaults, then the config file, then the environment. Throws
// Error(kInvalidArgument) naming the file and the key for malformed config.
ExecutorOptions LoadOptions();

// tern's home directory: TERN_HOME, else $HOME/.tern.
std::string TernHome();

}  // namespace tern
