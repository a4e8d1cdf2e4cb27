#include "compute/local_backend.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "tern/errors.h"

extern char** environ;

namespace tern {

LocalBackend::LocalBackend(std::string executable,
                           std::vector<std::string> argv,
                           std::vector<std::string> environment,
                           int max_workers)
    : executable_(std::move(executable)),
      argv_(std::move(argv)),
      max_workers_(max_workers) {
  // The merged environment: ours, overridden by the given entries.
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    std::string text = *entry;
    merged[text.substr(0, text.find('='))] = text;
  }
  for (const std::string& text : environment) {
    merged[text.substr(0, text.find('='))] = text;
  }
  for (auto& [name, text] : merged) environment_.push_back(text);
}

LocalBackend::~LocalBackend() {
  std::lock_guard lock(mutex_);
  ReapLocked();
}

void LocalBackend::ReapLocked() {
  std::erase_if(workers_, [](pid_t pid) {
    return waitpid(pid, nullptr, WNOHANG) == pid;
  });
}

pid_t LocalBackend::SpawnLocked() {
  auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (std::string& s : strings) result.push_back(s.data());
    result.push_back(nullptr);
    return result;
  };
  std::vector<char*> argv = pointers(argv_);
  std::vector<char*> envp = pointers(environment_);
  pid_t pid;
  int error = posix_spawn(&pid, executable_.c_str(), nullptr, nullptr,
                          argv.data(), envp.data());
  if (error != 0) {
    throw Error(ErrorCode::kIOError, "cannot start a worker from " +
                                         executable_ + ": " +
                                         std::strerror(error));
  }
  return pid;
}

void LocalBackend::Ensure(int64_t pending) {
  std::lock_guard lock(mutex_);
  ReapLocked();
  int64_t wanted = std::min<int64_t>(pending, max_workers_);
  while (static_cast<int64_t>(workers_.size()) < wanted) {
    workers_.push_back(SpawnLocked());
  }
}

std::vector<pid_t> LocalBackend::Workers() {
  std::lock_guard lock(mutex_);
  ReapLocked();
  return workers_;
}

}  // namespace tern
