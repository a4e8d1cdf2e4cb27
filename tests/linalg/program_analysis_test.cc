// The lazy dependency analysis against the fully unrolled DAG, edge for
// edge, for every shipped program at small sizes (square and rectangular).
#include <gtest/gtest.h>

#include <vector>

#include "linalg/builder.h"
#include "linalg/program.h"
#include "program_unroll.h"

namespace tern::linalg {
namespace {

using Sizes = std::map<std::string, int64_t>;

std::vector<Task> Sorted(const std::set<Task>& s) {
  return std::vector<Task>(s.begin(), s.end());
}

void ExpectSameDag(const Program& program, const Sizes& sizes) {
  std::string where = program.name();
  for (const auto& [name, value] : sizes) {
    where += " " + name + "=" + std::to_string(value);
  }
  SCOPED_TRACE(where);
  auto bound = program.Bind(sizes);
  testing::Unrolled u = testing::Unroll(program, sizes);
  EXPECT_EQ(bound->TaskCount(), u.tasks.size());
  EXPECT_EQ(bound->Starters(), u.starters);
  for (const Task& t : u.tasks) {
    SCOPED_TRACE(bound->Describe(t));
    EXPECT_EQ(bound->Children(t), Sorted(u.children[t]));
    EXPECT_EQ(bound->Parents(t), Sorted(u.parents[t]));
    KernelCall call = bound->Call(t);
    EXPECT_EQ(call.kernel, u.calls[t].kernel);
    EXPECT_EQ(call.inputs, u.calls[t].inputs);
    EXPECT_EQ(call.outputs, u.calls[t].outputs);
  }
}

TEST(ProgramAnalysisTest, GemmMatchesUnrolledDag) {
  for (int64_t m = 1; m <= 4; ++m) {
    for (int64_t n = 1; n <= 3; ++n) {
      for (int64_t k = 1; k <= 4; ++k) {
        ExpectSameDag(GemmProgram(), {{"M", m}, {"N", n}, {"K", k}});
      }
    }
  }
}

TEST(ProgramAnalysisTest, CholeskyMatchesUnrolledDag) {
  for (int64_t n = 1; n <= 6; ++n) {
    ExpectSameDag(CholeskyProgram(), {{"N", n}});
  }
}

TEST(ProgramAnalysisTest, TrsmMatchesUnrolledDag) {
  for (int64_t n = 1; n <= 5; ++n) {
    for (int64_t m = 1; m <= 3; ++m) {
      ExpectSameDag(TrsmProgram(), {{"N", n}, {"M", m}});
    }
  }
}

TEST(ProgramAnalysisTest, SyrkMatchesUnrolledDag) {
  for (int64_t n = 1; n <= 5; ++n) {
    for (int64_t k = 1; k <= 4; ++k) {
      ExpectSameDag(SyrkProgram(), {{"N", n}, {"K", k}});
    }
  }
}

// Larger than the sweeps above, where edge cases of the closed form would
// show if they only appeared away from the corners.
TEST(ProgramAnalysisTest, MidSizesMatchUnrolledDag) {
  ExpectSameDag(GemmProgram(), {{"M", 7}, {"N", 9}, {"K", 6}});
  ExpectSameDag(CholeskyProgram(), {{"N", 16}});
  ExpectSameDag(TrsmProgram(), {{"N", 12}, {"M", 5}});
  ExpectSameDag(SyrkProgram(), {{"N", 10}, {"K", 7}});
}

// Starters off the shipped programs' path. Y reads X[i, j], written only on
// the diagonal: the readers of the others start at once, and the proof
// cannot settle the statement, so Starters asks each instance. Z reads
// C[i, j], whose writer's loop k is not in its index but pinned by
// `if k == 1 and k <= i`: proven with one free direction for i >= 1, and
// the readers of row 0, never written, start at once.
Program PartlyFedProgram() {
  ProgramBuilder b("partly_fed");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), x = b.Temporary("X", 2), y = b.Output("Y");
  Array c = b.Temporary("C", 2), z = b.Output("Z");
  b.For("i", 0, n, [&](Expr i) {
    b.Call("chol", x(i, i), {a(i, i)});
    b.For("j", 0, n, [&](Expr j) {
      b.Call("trsm", y(i, j), {x(i, j), a(i, j)});
      b.For("k", 0, 2, [&](Expr k) {
        b.If(k == 1 && k <= i, [&] {
          b.Call("gemm", c(i, j), {a(i, k), a(k, j)});
        });
      });
      b.Call("chol", z(i, j), {c(i, j)});
    });
  });
  return b.Build();
}

TEST(ProgramAnalysisTest, StartersOfPartlyFedStatements) {
  for (int64_t n = 1; n <= 4; ++n)
    ExpectSameDag(PartlyFedProgram(), {{"N", n}});
}

TEST(ProgramAnalysisTest, EmptySizesHaveNoTasks) {
  auto gemm = GemmProgram().Bind({{"M", 3}, {"N", 0}, {"K", 2}});
  EXPECT_EQ(gemm->TaskCount(), 0u);
  EXPECT_TRUE(gemm->Starters().empty());
  auto chol = CholeskyProgram().Bind({{"N", 0}});
  EXPECT_EQ(chol->TaskCount(), 0u);
  EXPECT_TRUE(chol->Starters().empty());
}

// At 1,024 blocks per side nothing is unrolled: counts in closed form, and
// a task's children found directly.
TEST(ProgramAnalysisTest, LargeSizesAnswerWithoutUnrolling) {
  auto chol = CholeskyProgram().Bind({{"N", 1024}});
  // chol N, trsm N (N - 1) / 2, syrk (N - 1) N (N + 1) / 6.
  const uint64_t n = 1024;
  EXPECT_EQ(chol->TaskCount(), n + n * (n - 1) / 2 + (n - 1) * n * (n + 1) / 6);
  // chol of block (0, 0) feeds the trsm of every block of column 0.
  EXPECT_EQ(chol->Children(Task{0, {0}}).size(), 1023u);
  auto gemm = GemmProgram().Bind({{"M", 1024}, {"N", 1024}, {"K", 1024}});
  EXPECT_EQ(gemm->TaskCount(), 1024ull * 1024 * 1024);
}

}  // namespace
}  // namespace tern::linalg
