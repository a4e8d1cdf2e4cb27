// The program language: task keys, and a clear error for every malformed
// program, bad binding and foreign task.
#include "linalg/program.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "linalg/builder.h"
#include "support/throws_error.h"

namespace tern::linalg {
namespace {

using testing_support::ThrowsError;
constexpr ErrorCode kInvalid = ErrorCode::kInvalidArgument;

TEST(TaskKeyTest, RoundTrips) {
  for (const Task& t : {Task{0, {}}, Task{2, {1, 0, 3}}, Task{17, {-1, 40}},
                        Task{3, {1234567890123}}}) {
    EXPECT_EQ(Task::FromKey(t.Key()), t) << t.Key();
  }
  EXPECT_EQ(Task({2, {1, 0, 3}}).Key(), "2:1,0,3");
  EXPECT_EQ(Task({5, {}}).Key(), "5:");
}

TEST(TaskKeyTest, RejectsMalformedKeys) {
  for (const char* key :
       {"", "2", ":1", "x:1", "2:1,", "2:,1", "2:1,,3", "2:a", "-1:0", "2:1 ",
        "2: 1", "2:+1", "99999999999:0", "2:99999999999999999999"}) {
    EXPECT_TRUE(ThrowsError(
        [&] { Task::FromKey(key); }, kInvalid,
        std::vector<std::string>{"malformed task key", std::string("'") + key}))
        << key;
  }
}

TEST(ProgramTest, DescribesItself) {
  Program chol = CholeskyProgram();
  EXPECT_EQ(chol.name(), "cholesky");
  EXPECT_EQ(chol.Parameters(), std::vector<std::string>{"N"});
  EXPECT_EQ(chol.InputArrays(), std::vector<std::string>{"A"});
  EXPECT_EQ(chol.OutputArrays(), std::vector<std::string>{"L"});
  Program gemm = GemmProgram();
  EXPECT_EQ(gemm.Parameters(), (std::vector<std::string>{"M", "N", "K"}));
  EXPECT_EQ(gemm.InputArrays(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(gemm.OutputArrays(), std::vector<std::string>{"C"});
  auto bound = chol.Bind({{"N", 4}});
  EXPECT_EQ(bound->Describe(Task{5, {1, 3, 2}}),
            "cholesky: statement 5 (syrk) at k=1, i=3, j=2");
}

TEST(ProgramTest, BindRejectsBadParameters) {
  Program gemm = GemmProgram();
  EXPECT_TRUE(ThrowsError(
      [&] {
        gemm.Bind({{"M", 2}, {"N", 2}});
      },
      kInvalid, std::vector<std::string>{"gemm", "K", "missing"}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        gemm.Bind({{"M", 2}, {"N", -1}, {"K", 2}});
      },
      kInvalid, std::vector<std::string>{"gemm", "N = -1", "negative"}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        gemm.Bind({{"M", 2}, {"N", 1}, {"K", 2}, {"Q", 2}});
      },
      kInvalid, std::vector<std::string>{"gemm", "unknown parameter Q"}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        gemm.Bind({{"M", 2}, {"N", int64_t{1} << 40}, {"K", 2}});
      },
      kInvalid, std::vector<std::string>{"gemm", "parameter N", "above"}));
  EXPECT_TRUE(
      ThrowsError([&] { Program().Bind({}); }, kInvalid, "empty program"));
}

TEST(ProgramTest, RejectsTasksOfOtherPrograms) {
  auto bound = CholeskyProgram().Bind({{"N", 3}});
  for (const Task& t : {Task{9, {0}}, Task{-1, {}}, Task{0, {0, 0}},
                        Task{0, {3}}, Task{1, {0}}, Task{5, {0, 2, 1}}}) {
    EXPECT_TRUE(ThrowsError([&] { bound->Call(t); }, kInvalid,
                            std::vector<std::string>{"cholesky", t.Key()}))
        << t.Key();
    EXPECT_TRUE(ThrowsError([&] { bound->Children(t); }, kInvalid, t.Key()));
    EXPECT_TRUE(ThrowsError([&] { bound->Parents(t); }, kInvalid, t.Key()));
  }
}

// BoundProgram is documented thread-safe: queries from several threads at
// once give the answers one thread gets.
TEST(ProgramTest, ConcurrentQueriesAgree) {
  auto bound = CholeskyProgram().Bind({{"N", 7}});
  std::vector<Task> tasks;
  for (int64_t k = 0; k < 7; ++k) {
    for (int64_t i = k + 1; i < 7; ++i) {
      for (int64_t j = k + 1; j <= i; ++j)
        tasks.push_back({k ? 5 : 4, {k, i, j}});
    }
  }
  std::vector<std::vector<Task>> want;
  for (const Task& t : tasks) want.push_back(bound->Children(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < tasks.size(); ++i) {
          if (bound->Children(tasks[i]) != want[i]) ++mismatches;
          if (bound->Parents(tasks[i]).empty()) ++mismatches;  // k > 0 or A
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(tasks.size(), 50u);
}

// C[i, 0] += A[i, j] B[j, 0] without versions: every j writes C[i, 0].
TEST(SingleAssignmentTest, SameStatementTwiceIsAnError) {
  ProgramBuilder b("bad_gemm");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), bm = b.Input("B"), c = b.Output("C");
  b.For("i", 0, n, [&](Expr i) {
    b.For("j", 0, n, [&](Expr j) {
      b.Call("gemm", c(i, 0), {a(i, j), bm(j, 0)});
    });
  });
  Program p = b.Build();
  EXPECT_NO_THROW(p.Bind({{"N", 1}}));  // one j: no conflict
  EXPECT_TRUE(ThrowsError(
      [&] {
        p.Bind({{"N", 2}});
      },
      kInvalid,
      std::vector<std::string>{
          "program bad_gemm: block C[0,0] is written by statement 0 (gemm) "
          "at i=0, j=1 and by statement 0 (gemm) at i=0, j=0"}));
}

// Two statements whose domains overlap at k == 1.
TEST(SingleAssignmentTest, TwoStatementsWritingOneBlockIsAnError) {
  ProgramBuilder b("bad_chain");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), s = b.Temporary("S", 3), l = b.Output("L");
  b.For("k", 0, n, [&](Expr k) {
    b.If(k <= 1, [&] { b.Call("chol", s(0, 0, k), {a(0, 0)}); });
    b.If(k >= 1, [&] { b.Call("chol", s(0, 0, k), {a(0, 0)}); });
    b.If(k == n - 1, [&] { b.Call("chol", l(0, 0), {s(0, 0, k)}); });
  });
  Program p = b.Build();
  EXPECT_NO_THROW(p.Bind({{"N", 1}}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        p.Bind({{"N", 3}});
      },
      kInvalid,
      std::vector<std::string>{"block S[0,0,1] is written by statement 0 "
                               "(chol) at k=1 and by statement 1 (chol) at "
                               "k=1"}));
}

TEST(BuilderTest, RejectsUnknownVariables) {
  ProgramBuilder b("p");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), c = b.Output("C");
  Expr escaped;
  b.For("i", 0, n, [&](Expr i) { escaped = i; });
  EXPECT_TRUE(
      ThrowsError([&] { b.Call("chol", c(escaped, 0), {a(0, 0)}); }, kInvalid,
                  std::vector<std::string>{"program p", "unknown variable 'i'",
                                           "outside its loop"}));
  ProgramBuilder other("q");
  Expr m = other.Parameter("M");
  EXPECT_TRUE(
      ThrowsError([&] { b.For("j", 0, m, [](Expr) {}); }, kInvalid,
                  std::vector<std::string>{"program p", "unknown variable"}));
  EXPECT_TRUE(ThrowsError(
      [&] { b.If(escaped == 0, [] {}); }, kInvalid,
      std::vector<std::string>{"unknown variable 'i'", "condition"}));
}

TEST(BuilderTest, ChecksScalarDefinitionsAndLoopNamesInScope) {
  ProgramBuilder b("p");
  Expr n = b.Parameter("N");
  Expr escaped;
  b.For("i", 0, n, [&](Expr i) {
    escaped = i;
    EXPECT_NO_THROW(b.Let("next", i + 1));
    EXPECT_TRUE(ThrowsError([&] { b.For("i", 0, n, [](Expr) {}); }, kInvalid,
                            "loop variable 'i' shadows"));
  });
  EXPECT_TRUE(ThrowsError(
      [&] { b.Let("prev", escaped - 1); }, kInvalid,
      std::vector<std::string>{"unknown variable 'i'", "definition of prev"}));
  EXPECT_TRUE(ThrowsError([&] { b.For("N", 0, n, [](Expr) {}); }, kInvalid,
                          "loop variable 'N' shadows"));
  EXPECT_TRUE(ThrowsError([&] { b.Let("next", n); }, kInvalid,
                          "'next' is declared twice"));
}

TEST(BuilderTest, RejectsNonAffineExpressions) {
  ProgramBuilder b("p");
  Expr n = b.Parameter("N");
  b.For("i", 0, n, [&](Expr i) {
    EXPECT_TRUE(ThrowsError([&] { (void)(i * i); }, kInvalid, "non-affine"));
    EXPECT_TRUE(ThrowsError([&] { (void)(i * n); }, kInvalid, "non-affine"));
    EXPECT_NO_THROW((void)(2 * i + n * 3 - 1));
  });
}

TEST(BuilderTest, RejectsBadKernelsAndArity) {
  ProgramBuilder b("p");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), c = b.Output("C"), s = b.Temporary("S", 3);
  EXPECT_TRUE(
      ThrowsError([&] { b.Call("cholesky", c(0, 0), {a(0, 0)}); }, kInvalid,
                  std::vector<std::string>{
                      "program p", "unknown kernel 'cholesky'", "chol, trsm"}));
  EXPECT_TRUE(ThrowsError(
      [&] { b.Call("gemm", c(0, 0), {a(0, 0)}); }, kInvalid,
      std::vector<std::string>{"kernel gemm takes 2 inputs, given 1"}));
  EXPECT_TRUE(ThrowsError(
      [&] { b.Call("chol", c(0, 0), {s(0, 0)}); }, kInvalid,
      std::vector<std::string>{"array S has 3 dimensions, indexed with 2"}));
  EXPECT_TRUE(ThrowsError([&] { b.Call("chol", a(0, 0), {c(0, 0)}); }, kInvalid,
                          std::vector<std::string>{"writes input array A"}));
  (void)n;
}

TEST(BuilderTest, RejectsUnknownArraysAndDuplicates) {
  ProgramBuilder b("p");
  Array a = b.Input("A"), c = b.Output("C");
  ProgramBuilder other("q");
  Array x = other.Input("X");
  EXPECT_TRUE(
      ThrowsError([&] { b.Call("chol", c(0, 0), {x(0, 0)}); }, kInvalid,
                  std::vector<std::string>{"program p", "unknown array 'X'"}));
  EXPECT_TRUE(ThrowsError([&] { b.Call("chol", c(0, 0), {Array()(0, 0)}); },
                          kInvalid, "unknown array"));
  EXPECT_TRUE(
      ThrowsError([&] { b.Output("A"); }, kInvalid, "'A' is declared twice"));
  EXPECT_TRUE(ThrowsError([&] { b.Temporary("Z", 9); }, kInvalid,
                          "array Z has 9 dimensions; 1 to 8 are allowed"));
  EXPECT_TRUE(ThrowsError([&] { b.Temporary("W", 0); }, kInvalid,
                          "array W has 0 dimensions"));
  b.Call("chol", c(0, 0), {a(0, 0)});
  b.Build();
  EXPECT_TRUE(ThrowsError([&] { b.Build(); }, kInvalid, "already built"));
}

}  // namespace
}  // namespace tern::linalg
