#include "core/runtime.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "core/records.h"
#include "core/sha256.h"
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

}  // namespace internal

bool IsWorker() { return std::getenv(internal::kWorkerEnv) != nullptr; }

void Init(int argc, char** argv) {
  if (IsWorker()) {
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
