#include "core/runtime.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "core/records.h"
#include "util/sha256.h"
#include "tern/errors.h"
#include "tern/tern.h"

namespace tern {
namespace internal {
namespace {
std::vector<std::string> saved_argv;
bool initialized = false;
}  // namespace

const std::string& ExecutablePath() {
  static const std::string path = [] {
    char buffer[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n < 0) throw Error(ErrorCode::kIOError, "cannot find this executable");
    return std::string(buffer, n);
  }();
  return path;
}

const std::string& RuntimeHash() {
  static const std::string hash = Sha256FileHex(ExecutablePath());
  return hash;
}

const std::vector<std::string>& SavedArgv() { return saved_argv; }
bool Initialized() { return initialized; }

std::string ProcessName() {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

std::vector<std::string> WorkerEnvironment(const ExecutorOptions& options) {
  auto millis = [](std::chrono::milliseconds value) {
    return std::to_string(value.count()) + "ms";
  };
  std::vector<std::string> env = {
      std::string(kWorkerEnv) + "=1",
      "TERN_STORE=" + options.store,
      "TERN_COORDINATOR=" + options.coordinator,
      "TERN_LEASE=" + millis(options.lease),
      "TERN_WORKER_IDLE=" + millis(options.worker_idle),
      // Bind symbols once in the worker, not lazily again in every forked
      // task process: this halves the cost of a fresh process per task.
      "LD_BIND_NOW=1",
  };
  // A task is one core's work; BLAS threads would oversubscribe the machine.
  if (!std::getenv("OPENBLAS_NUM_THREADS"))
    env.push_back("OPENBLAS_NUM_THREADS=1");
  return env;
}

}  // namespace internal

bool IsWorker() { return std::getenv(internal::kWorkerEnv) != nullptr; }

void Init(int argc, char** argv) {
  if (IsWorker()) {
    if (std::getenv(internal::kDieWithParentEnv))
      prctl(PR_SET_PDEATHSIG, SIGKILL);
    int status = 1;
    try {
      status = internal::RunWorker();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tern worker %s: %s\n",
                   internal::ProcessName().c_str(), e.what());
    }
    std::fflush(nullptr);
    std::_Exit(status);
  }
  internal::saved_argv.assign(argv, argv + argc);
  internal::initialized = true;
}

}  // namespace tern
