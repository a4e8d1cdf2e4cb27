// Two users on one Redis and one bucket, each with a namespace of their own
// (a Redis key prefix and a bucket prefix), never see each other's jobs.
// Needs the real servers (TERN_TEST_REDIS_URI, TERN_TEST_S3_URI).
#include <unistd.h>

#include <cstdlib>

#include "core/records.h"
#include "core/test_env.h"
#include "tern/coordinator.h"
#include "tern/object_store.h"

namespace tern {
namespace {

using testing_support::ExecutorTest;

std::string Big(int size) { return std::string(size, 'b'); }

class NamespaceTest : public ExecutorTest {
 protected:
  void SetUp() override {
    redis_ = std::getenv("TERN_TEST_REDIS_URI")
                 ? std::getenv("TERN_TEST_REDIS_URI")
                 : "";
    s3_ =
        std::getenv("TERN_TEST_S3_URI") ? std::getenv("TERN_TEST_S3_URI") : "";
    if (redis_.empty() || s3_.empty()) {
      GTEST_SKIP()
          << "needs TERN_TEST_REDIS_URI and TERN_TEST_S3_URI (scripts/test.sh "
             "starts both servers)";
    }
  }

  // The options of user `name`: their own key prefix and bucket prefix.
  ExecutorOptions UserOptions(const std::string& name) const {
    std::string tag = name + "-" + std::to_string(getpid());
    ExecutorOptions options = Options();
    options.coordinator = redis_ +
                          (redis_.find('?') == std::string::npos ? "?" : "&") +
                          "prefix=" + tag + "/";
    size_t query = s3_.find('?');
    options.store = s3_.substr(0, query) + "/" + tag + s3_.substr(query);
    return options;
  }

  std::string redis_, s3_;
};

TEST_F(NamespaceTest, TwoUsersJobsStayApart) {
  ExecutorOptions alice = UserOptions("alice"), bob = UserOptions("bob");
  std::string alice_job, bob_job;
  {
    Executor ex(alice);
    auto futures =
        ex.Map(Big, std::vector<int>{10, 100000});  // one result in the store
    EXPECT_EQ(GetAllResults(futures)[1].size(), 100000u);
    alice_job = futures[0].job_id();
  }
  {
    Executor ex(bob);
    auto futures = ex.Map(Big, std::vector<int>{20, 200000});
    EXPECT_EQ(GetAllResults(futures)[1].size(), 200000u);
    bob_job = futures[0].job_id();
  }
  auto alice_coordinator = Coordinator::Open(alice.coordinator);
  auto bob_coordinator = Coordinator::Open(bob.coordinator);
  EXPECT_EQ(alice_coordinator->ListKeys("active/"),
            std::vector<std::string>{"active/" + alice_job});
  EXPECT_EQ(bob_coordinator->ListKeys("active/"),
            std::vector<std::string>{"active/" + bob_job});
  EXPECT_FALSE(alice_coordinator->Get(internal::TaskKey(bob_job, 0)));
  EXPECT_FALSE(bob_coordinator->Get(internal::TaskKey(alice_job, 0)));

  auto alice_store = ObjectStore::Open(alice.store);
  auto bob_store = ObjectStore::Open(bob.store);
  EXPECT_FALSE(alice_store->List("jobs/" + alice_job + "/").empty());
  EXPECT_TRUE(alice_store->List("jobs/" + bob_job + "/").empty());
  EXPECT_TRUE(bob_store->List("jobs/" + alice_job + "/").empty());
  alice_coordinator->DeletePrefix("");
  bob_coordinator->DeletePrefix("");
  for (auto* store : {alice_store.get(), bob_store.get()}) {
    for (const std::string& key : store->List("")) store->Delete(key);
  }
}

}  // namespace
}  // namespace tern
