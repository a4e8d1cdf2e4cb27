#include "core/agent.h"

#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <thread>

#include "compute/local_backend.h"
#include "core/client.h"
#include "core/records.h"
#include "core/retry_policy.h"
#include "core/runtime.h"
#include "core/runtime_bundle.h"
#include "tern/coordinator.h"
#include "tern/errors.h"
#include "tern/object_store.h"

namespace tern::internal {
namespace {

using Clock = std::chrono::steady_clock;

class Agent {
 public:
  explicit Agent(const AgentOptions& options)
      : options_(options),
        stores_(ResolveOptions(options.stores)),
        store_(ObjectStore::Open(stores_.store)),
        coordinator_(Coordinator::Open(stores_.coordinator)) {
    if (options_.slots <= 0) options_.slots = stores_.workers;
    if (options_.cache_dir.empty())
      options_.cache_dir = TernHome() + "/runtimes";
  }

  // Serves until idle_exit passes without work. A failing store or
  // coordinator (a restarted server) is ridden out with backoff: the agent's
  // workers ride it out too, and nothing they hold is lost.
  int Run() {
    auto last_work = Clock::now();
    int failures = 0;
    for (;;) {
      try {
        if (ServeOnce()) last_work = Clock::now();
        failures = 0;
      } catch (const Error& e) {
        auto backoff = Backoff(++failures);
        std::fprintf(stderr, "tern worker: %s; retrying in %lld ms\n", e.what(),
                     static_cast<long long>(backoff.count()));
        std::this_thread::sleep_for(backoff);
        last_work = Clock::now();  // an outage is not idleness
        continue;
      }
      if (options_.idle_exit.count() > 0 &&
          Clock::now() - last_work >= options_.idle_exit) {
        return 0;
      }
      std::this_thread::sleep_for(options_.poll);
    }
  }

 private:
  // One look at the jobs: starts workers where tasks wait. Returns whether
  // any work is pending or running here.
  bool ServeOnce() {
    bool busy = false;
    for (const auto& [runtime, pending] : PendingRuntimes()) {
      busy |= Serve(runtime, pending);
    }
    for (auto& [runtime, backend] : backends_)
      busy |= !backend->Workers().empty();
    return busy;
  }

  // Runtimes of active jobs with tasks waiting in their queue.
  std::map<std::string, int64_t> PendingRuntimes() {
    std::map<std::string, int64_t> pending;
    for (const std::string& key : coordinator_->ListKeys("active/")) {
      std::string job = key.substr(std::string("active/").size());
      const std::string& runtime = RuntimeOf(job);
      if (runtime.empty() || pending.count(runtime)) continue;
      int64_t length = coordinator_->QueueLength(QueueName(runtime));
      if (length > 0) pending[runtime] = length;
    }
    return pending;
  }

  const std::string& RuntimeOf(const std::string& job) {
    auto cached = job_runtimes_.find(job);
    if (cached != job_runtimes_.end()) return cached->second;
    std::string& runtime = job_runtimes_[job];
    if (auto spec = coordinator_->Get(JobKey(job, "spec"))) {
      runtime = Decode<StoredJob>(*spec, "job spec").runtime;
    }
    return runtime;
  }

  // Starts workers of runtime for its pending tasks. Returns whether it could.
  bool Serve(const std::string& runtime, int64_t pending) {
    auto found = backends_.find(runtime);
    if (found == backends_.end()) {
      if (refused_.count(runtime)) return false;
      std::string executable;
      try {
        executable = FetchRuntime(*store_, runtime, options_.cache_dir);
      } catch (const Error& e) {
        std::fprintf(stderr, "tern worker: %s\n", e.what());
        refused_.insert(runtime);
        return false;
      }
      found = backends_.emplace(runtime, MakeBackend(executable)).first;
    }
    found->second->Ensure(pending);
    return true;
  }

  std::unique_ptr<LocalBackend> MakeBackend(const std::string& executable) {
    std::vector<std::string> env = WorkerEnvironment(stores_);
    env.push_back(std::string(kDieWithParentEnv) + "=1");
    std::string lib = executable.substr(0, executable.rfind('/')) + "/lib";
    const char* existing = std::getenv("LD_LIBRARY_PATH");
    env.push_back("LD_LIBRARY_PATH=" + lib +
                  (existing ? ":" + std::string(existing) : ""));
    return std::make_unique<LocalBackend>(
        executable, std::vector<std::string>{executable}, env, options_.slots);
  }

  AgentOptions options_;
  ExecutorOptions stores_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::map<std::string, std::string> job_runtimes_;
  std::map<std::string, std::unique_ptr<LocalBackend>> backends_;
  std::set<std::string> refused_;
};

}  // namespace

int RunAgent(const AgentOptions& options) {
  Agent agent(options);
  return agent.Run();
}

}  // namespace tern::internal
