// SharedVector from tasks, and the Hogwild SGD example against its serial
// baseline, with the weights in SQLite and (when TERN_TEST_REDIS_URI names a
// server) in Redis.
#include "tern/parameter_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/test_env.h"
#include "hogwild.h"
#include "support/throws_error.h"
#include "tern/coordinator.h"
#include "tern/tern.h"

namespace tern {
namespace {

using testing_support::ThrowsError;

// Where the tests keep their vectors: "sqlite" (the executor's coordinator)
// or "redis".
class ParameterServerTest : public testing_support::ExecutorTest,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      uri_ = Options().coordinator;
      return;
    }
    const char* redis = std::getenv("TERN_TEST_REDIS_URI");
    if (redis == nullptr || *redis == '\0') {
      GTEST_SKIP() << "TERN_TEST_REDIS_URI is not set";
    }
    uri_ = redis;
    uri_ += uri_.find('?') == std::string::npos ? "?" : "&";
    uri_ += "prefix=tern-ps-test-" + std::to_string(getpid()) + "/";
  }
  void TearDown() override {
    if (!uri_.empty()) Coordinator::Open(uri_)->DeletePrefix("");
  }

  std::string uri_;
};

struct AddJob {
  std::string uri;
  int task = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(uri, task);
  }
};

// Task t adds t + 1 to every element of a vector of t + 1 elements, 20 times.
int AddFromTask(const AddJob& job) {
  SharedVector v(job.uri, "sum");
  for (int i = 0; i < 20; ++i) {
    v.Add(std::vector<double>(job.task + 1, job.task + 1.0));
  }
  return 0;
}

TEST_P(ParameterServerTest, AddsFromTasksSumExactly) {
  constexpr int kTasks = 6;
  Executor ex(Options());
  std::vector<AddJob> jobs;
  for (int t = 0; t < kTasks; ++t) jobs.push_back({uri_, t});
  GetAllResults(ex.Map(AddFromTask, jobs));

  // Element i gets 20 * (t + 1) from every task t >= i.
  std::vector<double> want(kTasks, 0.0);
  for (int t = 0; t < kTasks; ++t) {
    for (int i = 0; i <= t; ++i) want[i] += 20.0 * (t + 1);
  }
  EXPECT_EQ(SharedVector(uri_, "sum").Read(), want);
}

TEST_P(ParameterServerTest, HogwildMatchesSerialBaseline) {
  hogwild::Problem p;
  p.features = 20;
  p.train = 6000;
  p.test = 4000;
  hogwild::Training t;
  t.batch = 100;
  std::vector<double> serial =
      hogwild::TrainSerial(p, t, hogwild::MakeSamples(p, 0, p.train));
  double baseline = hogwild::TestAccuracy(p, serial);

  Executor ex(Options());
  std::vector<int64_t> pushes = GetAllResults(
      ex.Map(hogwild::TrainShard, hogwild::Shards(p, t, 3, uri_, "w")));
  for (int64_t n : pushes) EXPECT_EQ(n, t.epochs * 20);  // 2000 / 100
  std::vector<double> w = SharedVector(uri_, "w").Read();
  ASSERT_EQ(w.size(), static_cast<size_t>(p.features));
  double accuracy = hogwild::TestAccuracy(p, w);
  EXPECT_GT(baseline, 0.8);  // it learned: half would be chance
  EXPECT_NEAR(accuracy, baseline, 0.015);
}

INSTANTIATE_TEST_SUITE_P(Coordinators, ParameterServerTest,
                         ::testing::Values("sqlite", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(SharedVectorTest, BadInputIsAClearError) {
  EXPECT_TRUE(ThrowsError([] { SharedVector("mem://ps", ""); },
                          ErrorCode::kInvalidArgument, "vector name is empty"));
  EXPECT_TRUE(ThrowsError([] { SharedVector("nosuch://x", "v"); },
                          ErrorCode::kInvalidArgument,
                          "unknown coordinator scheme 'nosuch'"));
  SharedVector v("mem://ps", "v");
  EXPECT_TRUE(ThrowsError(
      [&] {
        v.Add({1, INFINITY});
      },
      ErrorCode::kInvalidArgument, {"delta 1", "'v'", "not finite"}));
  EXPECT_TRUE(ThrowsError([&] { v.Add({1}, Coordinator::kMaxVectorSize); },
                          ErrorCode::kInvalidArgument, "largest vector size"));
  v.Add({2}, 1);
  EXPECT_EQ(v.Read(), (std::vector<double>{0, 2}));
  EXPECT_EQ(v.name(), "v");
}

}  // namespace
}  // namespace tern
