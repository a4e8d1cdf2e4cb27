// The worker agent behind `tern worker`: turns any host into a function host.
//
// An agent connects to a coordinator and an object store, finds the active
// jobs, and for every runtime (binary) with pending tasks downloads its bundle
// from the store (runtimes/<sha256>), verifies the SHA-256, caches it, and runs
// worker processes of that binary, which lease and run the tasks with the same
// supervision as local workers. Any number of agents may run on any number of
// hosts. The agent exits after idle_exit with no pending task (0: never).
#pragma once

#include <chrono>
#include <string>

#include "tern/options.h"

namespace tern::internal {

struct AgentOptions {
  ExecutorOptions stores;  // store, coordinator, lease, worker_idle
  int slots = 0;           // worker processes at once; 0: one per core
  std::string cache_dir;   // where runtimes are kept; "": TernHome()/runtimes
  std::chrono::milliseconds idle_exit{0};  // 0: run until stopped
  std::chrono::milliseconds poll{200};     // how often to look for new work
};

// Runs the agent until idle_exit passes without work (or forever). Returns the
// process exit status. Throws Error when the stores cannot be opened.
int RunAgent(const AgentOptions& options);

}  // namespace tern::internal
