// Facts about this process that tern's client and workers share.
#pragma once

#include <string>
#include <vector>

#include "tern/options.h"

namespace tern::internal {

// Path of the running executable.
const std::string& ExecutablePath();
// SHA-256 of the running executable, computed once.
const std::string& RuntimeHash();
// The argv given to Init(), to start workers with. Empty before Init().
const std::vector<std::string>& SavedArgv();
bool Initialized();
// "host:pid", naming this process in task records.
std::string ProcessName();

// Environment variable that marks a process started as a tern worker.
inline constexpr const char* kWorkerEnv = "TERN_WORKER";

// Environment variable set by an agent so that its workers die with it, as
// they would with their host.
inline constexpr const char* kDieWithParentEnv = "TERN_DIE_WITH_PARENT";

// The environment entries ("NAME=value") that make a process of this binary a
// worker for the stores and timings in options.
std::vector<std::string> WorkerEnvironment(const ExecutorOptions& options);

// Runs the worker loop (worker.cc) and returns the exit status.
int RunWorker();

}  // namespace tern::internal
