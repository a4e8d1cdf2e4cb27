// LocalBackend: starts worker processes of one executable on this machine.
//
// A compute backend only starts workers; the workers find their tasks in the
// Coordinator themselves and exit when idle. Ensure() tops the pool up to
// min(pending tasks, max workers), so workers are started on demand and a
// worker that died (killed, crashed) is replaced at the next call.
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tern {

class LocalBackend {
 public:
  // Workers run `executable` with `argv` and the current environment plus
  // `environment` entries ("NAME=value", overriding).
  LocalBackend(std::string executable, std::vector<std::string> argv,
               std::vector<std::string> environment, int max_workers);
  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;
  // Reaps exited workers; running ones finish their work and exit when idle.
  ~LocalBackend();

  // Starts workers until min(pending, max_workers) are alive. Throws
  // Error(kIOError) if a worker cannot be started.
  void Ensure(int64_t pending);

  // Process ids of the workers alive now.
  std::vector<pid_t> Workers();

 private:
  void ReapLocked();
  pid_t SpawnLocked();

  std::string executable_;
  std::vector<std::string> argv_;
  std::vector<std::string> environment_;
  int max_workers_;
  std::mutex mutex_;
  std::vector<pid_t> workers_;
};

}  // namespace tern
