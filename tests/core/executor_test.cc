// The public API end to end on the embedded default: local worker processes, a
// file store and an SQLite coordinator.
#include <unistd.h>

#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/test_env.h"

namespace tern {
namespace {

using testing_support::ExecutorTest;

int Square(int x) { return x * x; }

double Scale(double x, double factor, int offset) {
  return x * factor + offset;
}

struct Point {
  double x = 0, y = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(x, y, label);
  }
};

Point Mirror(const Point& p) { return {p.y, p.x, p.label + "'"}; }

// A function object with state, shipped by its serialize() method.
struct Affine {
  int a = 0, b = 0;
  int operator()(int x) const { return a * x + b; }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(a, b);
  }
};

std::map<std::string, int> CountLetters(const std::string& text) {
  std::map<std::string, int> counts;
  for (char c : text) ++counts[std::string(1, c)];
  return counts;
}

int Chatty(int x) {
  std::printf("stdout of task %d\n", x);
  std::fprintf(stderr, "stderr of task %d\n", x);
  return x;
}

TEST_F(ExecutorTest, MapsAPlainFunction) {
  Executor ex(Options());
  std::vector<int> inputs(100);
  std::iota(inputs.begin(), inputs.end(), 0);
  std::vector<int> results = GetAllResults(ex.Map(Square, inputs));
  ASSERT_EQ(results.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(results[i], i * i);
}

TEST_F(ExecutorTest, MapsACaptureLessLambda) {
  Executor ex(Options());
  auto futures = ex.Map([](int x) { return std::to_string(x) + "!"; },
                        std::vector<int>{1, 2, 3});
  EXPECT_EQ(GetAllResults(futures),
            (std::vector<std::string>{"1!", "2!", "3!"}));
}

TEST_F(ExecutorTest, MapsASerializableFunctionObject) {
  Executor ex(Options());
  auto futures = ex.Map(Affine{3, 4}, std::vector<int>{0, 1, 2});
  EXPECT_EQ(GetAllResults(futures), (std::vector<int>{4, 7, 10}));
}

TEST_F(ExecutorTest, PassesExtraArguments) {
  Executor ex(Options());
  auto futures = ex.Map(Scale, std::vector<double>{1, 2}, 10.0, 5);
  EXPECT_EQ(GetAllResults(futures), (std::vector<double>{15, 25}));
}

TEST_F(ExecutorTest, ShipsUserTypesAndContainers) {
  Executor ex(Options());
  Point mirrored = ex.CallAsync(Mirror, Point{1, 2, "p"}).Result();
  EXPECT_EQ(mirrored.x, 2);
  EXPECT_EQ(mirrored.y, 1);
  EXPECT_EQ(mirrored.label, "p'");
  auto counts = ex.CallAsync(CountLetters, std::string("abca")).Result();
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 2}, {"b", 1}, {"c", 1}}));
}

TEST_F(ExecutorTest, VoidFunctionsComplete) {
  Executor ex(Options());
  auto future = ex.CallAsync([](int) {}, 1);
  EXPECT_EQ(future.Result(), Void{});
  EXPECT_EQ(future.State(), TaskState::kSucceeded);
}

TEST_F(ExecutorTest, MapReduceRunsTheReducerAfterAllMaps) {
  Executor ex(Options());
  std::vector<int> inputs(50);
  std::iota(inputs.begin(), inputs.end(), 1);
  auto total =
      ex.MapReduce(Square, inputs, [](const std::vector<int>& squares) {
        return std::accumulate(squares.begin(), squares.end(), 0L);
      });
  EXPECT_EQ(total.Result(), 50L * 51 * 101 / 6);
}

TEST_F(ExecutorTest, CapturesEachTasksOutput) {
  Executor ex(Options());
  auto futures = ex.Map(Chatty, std::vector<int>{7, 8});
  GetAllResults(futures);
  EXPECT_EQ(futures[0].Log(), "stdout of task 7\nstderr of task 7\n");
  EXPECT_EQ(futures[1].Log(), "stdout of task 8\nstderr of task 8\n");
}

TEST_F(ExecutorTest, RecordsTaskInfo) {
  Executor ex(Options());
  auto future = ex.CallAsync(Square, 3);
  future.Result();
  TaskInfo info = future.Info();
  EXPECT_EQ(info.attempt, 1);
  EXPECT_FALSE(info.worker.empty());
  EXPECT_LE(info.enqueued_us, info.started_us);
  EXPECT_LE(info.started_us, info.finished_us);
}

int SleepThenReturn(int ms) {
  usleep(ms * 1000);
  return ms;
}

TEST_F(ExecutorTest, WaitModes) {
  Executor ex(Options());
  auto futures = ex.Map(SleepThenReturn, std::vector<int>{1, 3000});
  auto any = Wait(futures, ANY_COMPLETED, std::chrono::milliseconds(2500));
  ASSERT_EQ(any.done.size(), 1u);
  EXPECT_EQ(any.done[0].index(), 0u);
  EXPECT_EQ(any.not_done.size(), 1u);
  auto now = Wait(futures, ALWAYS);
  EXPECT_EQ(now.done.size() + now.not_done.size(), 2u);
  auto all = Wait(futures, ALL_COMPLETED);
  EXPECT_EQ(all.done.size(), 2u);
  EXPECT_TRUE(all.not_done.empty());
}

TEST_F(ExecutorTest, WaitTimesOut) {
  Executor ex(Options());
  auto futures = ex.Map(SleepThenReturn, std::vector<int>{2000});
  auto result = Wait(futures, ALL_COMPLETED, std::chrono::milliseconds(100));
  EXPECT_TRUE(result.done.empty());
  EXPECT_EQ(result.not_done.size(), 1u);
}

TEST_F(ExecutorTest, CancelStopsAJob) {
  Executor ex(Options());
  std::vector<int> inputs(20, 5000);
  auto futures = ex.Map(SleepThenReturn, inputs);
  ex.Cancel(futures[0].job_id());
  for (const auto& f : futures) EXPECT_EQ(f.State(), TaskState::kCancelled);
  try {
    futures[3].Result();
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
}

TEST_F(ExecutorTest, TenThousandTasks) {
  Executor ex(Options());
  std::vector<int> inputs(10000);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto options = Options();
  std::vector<int> results = GetAllResults(ex.Map(Square, inputs));
  ASSERT_EQ(results.size(), inputs.size());
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(results[i], i * i) << i;
}

int CallsInThisProcess(int) {
  static int calls = 0;
  return ++calls;
}

TEST_F(ExecutorTest, FreshProcessPerTaskByDefault) {
  Executor ex(Options());
  std::vector<int> inputs(20, 0);
  for (int calls : GetAllResults(ex.Map(CallsInThisProcess, inputs))) {
    EXPECT_EQ(calls, 1);
  }
}

TEST_F(ExecutorTest, ReusedProcessesKeepRunning) {
  auto options = Options();
  options.reuse_processes = true;
  Executor ex(options);
  std::vector<int> inputs(200, 0);
  auto calls = GetAllResults(ex.Map(CallsInThisProcess, inputs));
  EXPECT_GT(*std::max_element(calls.begin(), calls.end()), 1);
}

TEST_F(ExecutorTest, HundredMegabyteInputAndOutput) {
  Executor ex(Options());
  std::string input(100 << 20, 'x');
  input[12345] = 'y';
  auto future = ex.CallAsync(
      [](const std::string& s) {
        std::string out(s.rbegin(), s.rend());
        out += "!";
        return out;
      },
      input);
  std::string output = future.Result();
  ASSERT_EQ(output.size(), input.size() + 1);
  EXPECT_EQ(output[output.size() - 2 - 12345], 'y');
  EXPECT_EQ(output.back(), '!');
  EXPECT_EQ(future.Info().input_bytes, input.size() + 8);
}

}  // namespace
}  // namespace tern
