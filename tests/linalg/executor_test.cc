// Cholesky and GEMM run as DAGs of block tasks: residuals near machine
// precision on sizes that are not multiples of the block, GEMM against
// cblas_dgemm, a non-SPD matrix named in the error, worker processes killed
// mid-Cholesky, and the Redis + S3 deployment.
#include "linalg/executor.h"

#include <cblas.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/test_env.h"
#include "linalg/program.h"
#include "support/throws_error.h"
#include "tern/coordinator.h"
#include "tern/linalg.h"

namespace tern::linalg {
namespace {

using testing_support::ThrowsError;

void ExpectLower(const Matrix& l) {
  for (int64_t i = 0; i < l.rows; ++i) {
    for (int64_t j = i + 1; j < l.cols; ++j) ASSERT_EQ(l(i, j), 0.0);
  }
}

class LinalgExecutorTest : public testing_support::ExecutorTest {
 protected:
  ExecutorOptions Options() const {
    ExecutorOptions options = ExecutorTest::Options();
    options.lease = std::chrono::milliseconds(1000);
    return options;
  }
};

TEST(LoopPlacementTest, BlocksAreDealtBlockCyclicallyOverAGridOfLoops) {
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      EXPECT_EQ(BlockOwner(i, j, 1), 0);
      EXPECT_EQ(BlockOwner(i, j, 2), j % 2);                // 1 x 2
      EXPECT_EQ(BlockOwner(i, j, 4), (i % 2) * 2 + j % 2);  // 2 x 2
      EXPECT_EQ(BlockOwner(i, j, 6), (i % 2) * 3 + j % 3);  // 2 x 3
      EXPECT_EQ(BlockOwner(i, j, 7), j % 7);                // 1 x 7
    }
  }
}

TEST(LoopPlacementTest, KernelsBorrowOnlyTheCoresOfIdleLoops) {
  EXPECT_EQ(BlasThreadsToUse(0, 2, 2), 1);  // both loops busy
  EXPECT_EQ(BlasThreadsToUse(1, 2, 2), 2);  // the other waits
  EXPECT_EQ(BlasThreadsToUse(3, 4, 4), 4);
  EXPECT_EQ(BlasThreadsToUse(1, 4, 4), 2);
  EXPECT_EQ(BlasThreadsToUse(1, 3, 2), 1);  // more loops than cores
  EXPECT_EQ(BlasThreadsToUse(2, 3, 2), 2);
  EXPECT_EQ(BlasThreadsToUse(0, 0, 2), 1);  // before any loop registered
  EXPECT_EQ(BlasThreadsToUse(5, 6, 1), 1);  // one core
}

TEST_F(LinalgExecutorTest, CholeskyResidualIsNearMachinePrecision) {
  Executor ex(Options());
  BigMatrix a = RandomSpd(ex, "a", 500, 128, 11);  // 4 x 4 blocks, edge 116
  RunStats stats;
  BigMatrix l = Cholesky(ex, a, {}, &stats);
  EXPECT_EQ(l.structure(), Structure::kLower);
  Matrix local = l.ToLocal();
  ExpectLower(local);
  EXPECT_LT(CholeskyResidual(a.ToLocal(), local), 1e-14);
  EXPECT_EQ(stats.tasks, CholeskyProgram().Bind({{"N", 4}})->TaskCount());
  EXPECT_GE(stats.tasks_run, stats.tasks);
  EXPECT_GT(stats.busy_core_seconds, 0);
  EXPECT_GE(stats.reserved_core_seconds, stats.busy_core_seconds);
  // Intermediates are gone, deleted by the loops as they went (none was
  // left for the client's sweep); the input and the result stay.
  EXPECT_TRUE(a.store().List("linalg/" + stats.run_id + "/").empty());
  EXPECT_EQ(stats.intermediates_swept, 0u);
}

TEST_F(LinalgExecutorTest, GemmMatchesBlas) {
  Executor ex(Options());
  BigMatrix a = RandomMatrix(ex, "a", 300, 270, 128, 1);
  BigMatrix b = RandomMatrix(ex, "b", 270, 333, 128, 2);
  RunOptions options;
  options.out_prefix = "c";
  BigMatrix c = Gemm(ex, a, b, options);
  EXPECT_EQ(c.prefix(), "c");
  Matrix la = a.ToLocal(), lb = b.ToLocal(), want(300, 333);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 300, 333, 270, 1.0,
              la.values.data(), 270, lb.values.data(), 333, 0.0,
              want.values.data(), 333);
  EXPECT_LT(
      RelativeDifference(want, BigMatrix::Open(c.store_uri(), "c").ToLocal()),
      1e-14);
}

// X with L X = B, L the Cholesky factor of a random SPD matrix.
TEST_F(LinalgExecutorTest, TrsmSolvesWithALowerFactor) {
  Executor ex(Options());
  BigMatrix l = Cholesky(ex, RandomSpd(ex, "spd", 300, 128, 2));
  BigMatrix b = RandomMatrix(ex, "b", 300, 200, 128, 3);
  BigMatrix x = Trsm(ex, l, b);
  Matrix ll = l.ToLocal(), lx = x.ToLocal(), lb(300, 200);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 300, 200, 300, 1.0,
              ll.values.data(), 300, lx.values.data(), 200, 0.0,
              lb.values.data(), 200);
  EXPECT_LT(RelativeDifference(b.ToLocal(), lb), 1e-14);
}

TEST_F(LinalgExecutorTest, SyrkGivesTheLowerPartOfAAt) {
  Executor ex(Options());
  BigMatrix a = RandomMatrix(ex, "a", 300, 270, 128, 4);
  BigMatrix c = Syrk(ex, a);
  EXPECT_EQ(c.structure(), Structure::kLower);
  Matrix la = a.ToLocal(), want(300, 300);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 300, 300, 270, 1.0,
              la.values.data(), 270, la.values.data(), 270, 0.0,
              want.values.data(), 300);
  for (int64_t i = 0; i < 300; ++i) {  // zero the blocks above the diagonal
    for (int64_t j = (i / 128 + 1) * 128; j < 300; ++j) want(i, j) = 0;
  }
  EXPECT_LT(RelativeDifference(want, c.ToLocal()), 1e-14);
}

// A kernel that runs many times its lease: the heartbeat keeps renewing
// (numpywren's stopped after three renewals), so the idle second loop never
// takes the task over and it runs once.
TEST_F(LinalgExecutorTest, LeasesAreRenewedForAsLongAsTheKernelRuns) {
  Executor ex(Options());
  BigMatrix a = RandomMatrix(ex, "a", 2048, 2048, 2048, 1);
  RunOptions options;
  options.lease = std::chrono::milliseconds(50);
  RunStats stats;
  Gemm(ex, a, a, options, &stats);
  EXPECT_EQ(stats.tasks, 1u);
  EXPECT_GT(stats.kernel_seconds, 0.15);  // > 3 leases: else the test is void
  EXPECT_EQ(stats.tasks_run, 1u);
}

TEST_F(LinalgExecutorTest, MismatchedShapesAreClearErrors) {
  Executor ex(Options());
  BigMatrix a = BigMatrix::Create(Options().store, "a", 10, 12, 4, 4);
  BigMatrix b = BigMatrix::Create(Options().store, "b", 10, 12, 4, 4);
  EXPECT_TRUE(ThrowsError([&] { Gemm(ex, a, b); }, ErrorCode::kInvalidArgument,
                          {"12 columns", "10 rows"}));
  EXPECT_TRUE(ThrowsError([&] { Cholesky(ex, a); }, ErrorCode::kInvalidArgument,
                          {"10x12", "not square"}));
  EXPECT_TRUE(ThrowsError([&] { Trsm(ex, a, b); }, ErrorCode::kInvalidArgument,
                          {"trsm", "10x12", "must be square"}));
  BigMatrix c = BigMatrix::Create(Options().store, "c", 12, 12, 4, 3);
  EXPECT_TRUE(ThrowsError([&] { Cholesky(ex, c); }, ErrorCode::kInvalidArgument,
                          {"4x3 blocks"}));
}

TEST_F(LinalgExecutorTest, NonSpdMatrixNamesTheStatementAndIndices) {
  Executor ex(Options());
  // SPD except for a negative pivot in block row 2: chol(2) fails.
  Matrix m(300, 300);
  for (int64_t i = 0; i < 300; ++i) m(i, i) = i == 260 ? -1.0 : 2.0;
  BigMatrix a = BigMatrix::FromLocal(Options().store, "a", m, 128);
  EXPECT_TRUE(
      ThrowsError([&] { Cholesky(ex, a); }, ErrorCode::kTaskFailed,
                  {"cholesky", "(chol)", "k=2", "not positive definite"}));
  // Neither the half-written factor nor the intermediates stay behind.
  EXPECT_TRUE(a.store().List("linalg/").empty());
}

// Every process below `root` in the process tree.
std::vector<pid_t> Descendants(pid_t root) {
  std::map<pid_t, pid_t> parent;
  DIR* proc = opendir("/proc");
  while (dirent* entry = readdir(proc)) {
    pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    pid_t ppid = 0;
    std::istringstream rest(line.substr(close + 2));
    if (rest >> state >> ppid && state != 'Z') parent[pid] = ppid;
  }
  closedir(proc);
  std::vector<pid_t> found;
  for (const auto& [pid, ppid] : parent) {
    for (pid_t up = ppid; up > 1; up = parent.count(up) ? parent[up] : 0) {
      if (up == root) {
        found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

// Runs Cholesky of a while a thread SIGKILLs a random worker process 30 ms
// in (so that even a short run sees a kill) and every 100-300 ms after.
// Returns the factor; *kills counts the processes killed.
BigMatrix CholeskyUnderKills(Executor& ex, const BigMatrix& a,
                             const RunOptions& options, RunStats* stats,
                             int* kills_out) {
  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    std::mt19937 random(42);
    for (int pause_ms = 30; !done; pause_ms = 100 + random() % 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      std::vector<pid_t> victims = Descendants(getpid());
      if (victims.empty() || done) continue;
      if (kill(victims[random() % victims.size()], SIGKILL) == 0) ++kills;
    }
  });
  std::optional<BigMatrix> l;
  try {
    l = Cholesky(ex, a, options, stats);
  } catch (...) {
    done = true;
    killer.join();
    throw;
  }
  done = true;
  killer.join();
  *kills_out = kills;
  return *l;
}

TEST_F(LinalgExecutorTest, WorkersKilledMidCholeskyStillGiveTheRightResult) {
  Executor ex(Options());
  BigMatrix a = RandomSpd(ex, "a", 900, 50, 5);  // 18 x 18 blocks, 1140 tasks
  RunOptions options;
  options.lease = std::chrono::milliseconds(500);
  options.keep_intermediates = true;
  RunStats stats;
  int kills = 0;
  std::optional<BigMatrix> l =
      CholeskyUnderKills(ex, a, options, &stats, &kills);
  EXPECT_GT(kills, 0);
  EXPECT_GE(stats.tasks_run, stats.tasks);  // replays included
  EXPECT_LT(CholeskyResidual(a.ToLocal(), l->ToLocal()), 1e-14);

  // Exactly once: every task's counter holds its parent count, the completed
  // counter the task count, however often tasks were replayed.
  auto bound = CholeskyProgram().Bind({{"N", 18}});
  auto coordinator = Coordinator::Open(Options().coordinator);
  std::string prefix = "linalg/" + stats.run_id + "/";
  EXPECT_EQ(coordinator->Add(prefix + "completed", 0),
            int64_t(bound->TaskCount()));
  std::set<Task> seen;
  std::vector<Task> frontier = bound->Starters();
  while (!frontier.empty()) {
    Task t = frontier.back();
    frontier.pop_back();
    if (!seen.insert(t).second) continue;
    int64_t parents = int64_t(bound->Parents(t).size());
    if (parents > 0) {
      EXPECT_EQ(coordinator->Add(prefix + "arrived/" + t.Key(), 0), parents)
          << t.Key();
    }
    for (const Task& child : bound->Children(t)) frontier.push_back(child);
  }
  EXPECT_EQ(seen.size(), bound->TaskCount());
  std::printf(
      "chaos: %d kills, %d loop restarts, %llu kernels for %llu tasks\n", kills,
      stats.loop_restarts, (unsigned long long)stats.tasks_run,
      (unsigned long long)stats.tasks);
}

// Loops delete each intermediate block once its one reader is done; killed
// loops and the replays they cause must neither lose an input still needed
// nor leave blocks behind.
TEST_F(LinalgExecutorTest, KilledLoopsDeletingIntermediatesStillGiveTheResult) {
  Executor ex(Options());
  BigMatrix a = RandomSpd(ex, "a", 700, 50, 6);  // 14 x 14 blocks, 560 tasks
  RunOptions options;
  options.lease = std::chrono::milliseconds(500);
  RunStats stats;
  int kills = 0;
  BigMatrix l = CholeskyUnderKills(ex, a, options, &stats, &kills);
  EXPECT_GT(kills, 0);
  EXPECT_LT(CholeskyResidual(a.ToLocal(), l.ToLocal()), 1e-14);
  EXPECT_TRUE(a.store().List("linalg/" + stats.run_id + "/").empty());
}

TEST_F(LinalgExecutorTest, CholeskyOnRedisAndS3) {
  const char* redis = std::getenv("TERN_TEST_REDIS_URI");
  const char* s3 = std::getenv("TERN_TEST_S3_URI");
  if (!redis || !*redis || !s3 || !*s3) {
    GTEST_SKIP() << "needs TERN_TEST_REDIS_URI and TERN_TEST_S3_URI "
                    "(scripts/test.sh starts both servers)";
  }
  std::string tag = "linalg-" + std::to_string(getpid());
  ExecutorOptions options = Options();
  std::string r = redis, s = s3;
  options.coordinator = r + (r.find('?') == std::string::npos ? "?" : "&") +
                        "prefix=" + tag + "/";
  size_t query = std::min(s.find('?'), s.size());
  options.store = s.substr(0, query) + "/" + tag + s.substr(query);
  Executor ex(options);
  BigMatrix a = RandomSpd(ex, "a", 400, 128, 3);
  BigMatrix l = Cholesky(ex, a);
  EXPECT_LT(CholeskyResidual(a.ToLocal(), l.ToLocal()), 1e-14);
  Coordinator::Open(options.coordinator)->DeletePrefix("");
  auto store = ObjectStore::Open(options.store);
  for (const std::string& key : store->List("")) store->Delete(key);
}

}  // namespace
}  // namespace tern::linalg
