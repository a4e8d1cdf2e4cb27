// Facts about this process that tern's client and workers share.
#pragma once

#include <string>
#include <vector>

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

// Runs the worker loop (worker.cc) and returns the exit status.
int RunWorker();

}  // namespace tern::internal
