// Worker agents: the client uploads its binary and starts no workers; agents
// find the job, fetch and verify the runtime, and run the tasks. Killing one
// agent mid-job still completes it.
#include "core/agent.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/records.h"
#include "core/runtime.h"
#include "core/runtime_bundle.h"
#include "core/test_env.h"
#include "util/sha256.h"

namespace tern {
namespace {

using testing_support::ExecutorTest;

class AgentTest : public ExecutorTest {
 protected:
  ~AgentTest() override {
    for (pid_t pid : agents_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }

  ExecutorOptions AgentsOptions() const {
    ExecutorOptions options = Options();
    options.backend = "agents";
    options.lease = std::chrono::milliseconds(500);
    return options;
  }

  // Starts an agent in a child process, as `tern worker` would run.
  pid_t StartAgent(const std::string& name) {
    pid_t pid = fork();
    if (pid == 0) {
      internal::AgentOptions options;
      options.stores = AgentsOptions();
      options.slots = 2;
      options.cache_dir = dir() + "/cache-" + name;
      options.idle_exit = std::chrono::seconds(30);
      options.poll = std::chrono::milliseconds(50);
      int status = 1;
      try {
        status = internal::RunAgent(options);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "agent: %s\n", e.what());
      }
      _exit(status);
    }
    agents_.push_back(pid);
    return pid;
  }

 private:
  std::vector<pid_t> agents_;
};

std::string WhereAmI(int x) {
  return internal::ExecutablePath() + " " + std::to_string(x);
}

TEST_F(AgentTest, AgentsRunTheJobFromTheUploadedRuntime) {
  StartAgent("a");
  Executor ex(AgentsOptions());
  auto results = GetAllResults(ex.Map(WhereAmI, std::vector<int>{1, 2, 3}));
  for (int i = 0; i < 3; ++i) {
    // The task ran in the agent's cached copy of this binary, not in this file.
    EXPECT_EQ(results[i], dir() + "/cache-a/" + internal::RuntimeHash() +
                              "/program " + std::to_string(i + 1));
  }
}

int SlowSquare(int x) {
  usleep(50000);
  return x * x;
}

TEST_F(AgentTest, KillingOneAgentMidJobStillCompletesIt) {
  pid_t doomed = StartAgent("a");
  StartAgent("b");
  Executor ex(AgentsOptions());
  std::vector<int> inputs(60);
  for (int i = 0; i < 60; ++i) inputs[i] = i;
  auto futures = ex.Map(SlowSquare, inputs);
  Wait(futures, ANY_COMPLETED);
  ASSERT_EQ(kill(doomed, SIGKILL), 0);  // its workers die with it
  auto results = GetAllResults(futures);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(results[i], i * i);
}

TEST_F(AgentTest, AgentRefusesARuntimeWhoseHashDoesNotMatch) {
  auto store = ObjectStore::Open(Options().store);
  internal::UploadRuntime(*store);
  std::string fake_hash = Sha256Hex("another program");
  store->Put(internal::RuntimeKey(fake_hash),
             *store->Get(internal::RuntimeKey(internal::RuntimeHash())));
  try {
    internal::FetchRuntime(*store, fake_hash, dir() + "/cache");
    FAIL() << "a runtime with the wrong hash was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(std::string(e.what()).find(internal::RuntimeHash()),
              std::string::npos);
  }
  EXPECT_FALSE(
      std::filesystem::exists(dir() + "/cache/" + fake_hash + "/program"));
}

TEST_F(AgentTest, FetchedRuntimeIsByteIdentical) {
  auto store = ObjectStore::Open(Options().store);
  internal::UploadRuntime(*store);
  std::string path =
      internal::FetchRuntime(*store, internal::RuntimeHash(), dir() + "/cache");
  EXPECT_EQ(Sha256FileHex(path), internal::RuntimeHash());
  EXPECT_EQ(std::filesystem::status(path).permissions() &
                std::filesystem::perms::owner_exec,
            std::filesystem::perms::owner_exec);
}

}  // namespace
}  // namespace tern
