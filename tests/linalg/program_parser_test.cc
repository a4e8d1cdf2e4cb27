// The text form of the language: the shipped programs written as text give
// the same DAG as their builder versions (SYRK, GEMM's twin, left out), and
// malformed text gets an error naming its line and column.
#include <gtest/gtest.h>

#include "linalg/parser.h"
#include "program_unroll.h"
#include "support/throws_error.h"

namespace tern::linalg {
namespace {

using testing_support::ThrowsError;
using Sizes = std::map<std::string, int64_t>;

constexpr const char* kGemm = R"(
# C = A B, accumulated over k in T.
program gemm(M, N, K):
    input A, B
    output C
    temporary T[3]
    last = K - 1
    for i in range(0, M):
        for j in range(0, N):
            for k in range(0, K):
                if k == 0:
                    if k == last:
                        C[i, j] = gemm(A[i, k], B[k, j])
                    else:
                        T[i, j, k + 1] = gemm(A[i, k], B[k, j])
                else:
                    if k == last:
                        C[i, j] = gemm_acc(T[i, j, k], A[i, k], B[k, j])
                    else:
                        T[i, j, k + 1] = gemm_acc(T[i, j, k], A[i, k], B[k, j])
)";

constexpr const char* kCholesky = R"(
program cholesky(N):
    input A
    output L
    temporary S[3]
    for k in range(0, N):
        if k == 0:
            L[k, k] = chol(A[k, k])
        else:
            L[k, k] = chol(S[k, k, k])
        for i in range(k + 1, N):
            if k == 0:
                L[i, k] = trsm(L[k, k], A[i, k])
            else:
                L[i, k] = trsm(L[k, k], S[i, k, k])
            for j in range(k + 1, i + 1):
                if k == 0:
                    S[i, j, k + 1] = syrk(A[i, j], L[i, k], L[j, k])
                else:
                    S[i, j, k + 1] = syrk(S[i, j, k], L[i, k], L[j, k])
)";

constexpr const char* kTrsm = R"(
program trsm(N, M):
    input L, B
    output X
    temporary R[3]
    for j in range(0, M):
        for i in range(0, N):
            for k in range(0, i):
                if k == 0:
                    R[i, j, k + 1] = gemm_sub(B[i, j], L[i, k], X[k, j])
                else:
                    R[i, j, k + 1] = gemm_sub(R[i, j, k], L[i, k], X[k, j])
            if i == 0:
                X[i, j] = trsm_left(L[i, i], B[i, j])
            else:
                X[i, j] = trsm_left(L[i, i], R[i, j, i])
)";

void ExpectSameProgram(const Program& text, const Program& built,
                       const Sizes& sizes) {
  EXPECT_EQ(text.name(), built.name());
  EXPECT_EQ(text.Parameters(), built.Parameters());
  EXPECT_EQ(text.InputArrays(), built.InputArrays());
  EXPECT_EQ(text.OutputArrays(), built.OutputArrays());
  testing::Unrolled a = testing::Unroll(text, sizes);
  testing::Unrolled b = testing::Unroll(built, sizes);
  EXPECT_FALSE(a.tasks.empty());
  EXPECT_EQ(a.tasks, b.tasks);
  for (const Task& t : a.tasks) {
    EXPECT_EQ(a.calls[t].kernel, b.calls[t].kernel) << t.Key();
    EXPECT_EQ(a.calls[t].inputs, b.calls[t].inputs) << t.Key();
    EXPECT_EQ(a.calls[t].outputs, b.calls[t].outputs) << t.Key();
  }
  auto bound = text.Bind(sizes);
  EXPECT_EQ(bound->Starters(), b.starters);
}

TEST(ProgramParserTest, ShippedProgramsAsTextMatchTheBuilder) {
  ExpectSameProgram(ParseProgram(kGemm), GemmProgram(),
                    {{"M", 3}, {"N", 2}, {"K", 4}});
  ExpectSameProgram(ParseProgram(kCholesky), CholeskyProgram(), {{"N", 5}});
  ExpectSameProgram(ParseProgram(kTrsm), TrsmProgram(), {{"N", 4}, {"M", 3}});
}

TEST(ProgramParserTest, ExpressionsAndComments) {
  Program p = ParseProgram(R"(
program p(N):   # a comment
    input A
    output C
    two = 2 * N - (N - 1) * 1   # N + 1
    for i in range(-1 + 1, two - 1):

        C[i, 0] = chol(A[-(-i), 3 * 0])
)");
  auto bound = p.Bind({{"N", 3}});
  EXPECT_EQ(bound->TaskCount(), 3u);
  EXPECT_EQ(bound->Call(Task{0, {2}}).inputs[0].index,
            (std::vector<int64_t>{2, 0}));
}

void ExpectError(const std::string& text,
                 const std::vector<std::string>& mentions) {
  EXPECT_TRUE(ThrowsError([&] { ParseProgram(text); },
                          ErrorCode::kInvalidArgument, mentions))
      << text;
}

TEST(ProgramParserTest, SingleAssignmentIsCheckedAtBind) {
  Program p = ParseProgram(
      "program twice(N):\n    input A\n    output C\n"
      "    C[0, 0] = chol(A[0, 0])\n    C[0, 0] = chol(A[0, 0])\n");
  EXPECT_TRUE(ThrowsError(
      [&] {
        p.Bind({{"N", 1}});
      },
      ErrorCode::kInvalidArgument,
      "block C[0,0] is written by statement 0 (chol) and by statement 1"));
}

TEST(ProgramParserTest, MalformedTextNamesLineAndColumn) {
  const std::string head = "program p(N):\n    input A\n    output C\n";
  ExpectError(
      head + "    for i in range(0, N):\n        C[i, 0] = chol(A[j, 0])\n",
      {"line 5, column 26", "unknown name 'j'"});
  ExpectError(head + "    C[0, 0] = chol(Q[0, 0])\n",
              {"line 4, column 20", "unknown array 'Q'"});
  ExpectError(head + "    C[0, 0] = cholesky(A[0, 0])\n",
              {"line 4, column 5", "unknown kernel 'cholesky'"});
  ExpectError(head + "    C[0, 0] = gemm(A[0, 0])\n",
              {"line 4", "kernel gemm takes 2 inputs, given 1"});
  ExpectError(
      head + "    for i in range(0, N):\n        C[i, 0] = chol(A[i * i, 0])\n",
      {"line 5, column 28", "non-affine"});
  ExpectError(
      head + "    for i in range(0, N)\n        C[i, 0] = chol(A[i, 0])\n",
      {"line 4, column 25", "expected ':'"});
  ExpectError(head +
                  "    for i in range(0, N):\n      C[i, 0] = chol(A[i, 0])\n"
                  "        C[i, 0] = chol(A[i, 0])\n",
              {"line 6", "expected a statement, found an indented block"});
  ExpectError(head +
                  "    for i in range(0, N):\n        C[i, 0] = chol(A[i, 0])\n"
                  "      C[0, 0] = chol(A[0, 0])\n",
              {"line 6, column 7", "indentation matches no enclosing block"});
  ExpectError(head + "\tC[0, 0] = chol(A[0, 0])\n", {"line 4", "tabs"});
  ExpectError(head + "    C[0, 0] = chol(A[0, 0]) ;\n",
              {"line 4, column 29", "unexpected character ';'"});
  ExpectError(head + "    else:\n        C[0, 0] = chol(A[0, 0])\n",
              {"line 4, column 5", "expected a statement, found 'else'"});
  ExpectError("program p(N):\n    input A\n    output C\n    temporary S[9]\n",
              {"line 4, column 15", "array S has 9 dimensions"});
  ExpectError("program p(N):\n    input A\n    output C\n    if N == 0:\n",
              {"line 5", "expected an indented block, found the end"});
  ExpectError("program (N):\n",
              {"line 1, column 9", "expected a program name"});
  ExpectError("", {"line 1, column 1", "expected 'program'"});
}

}  // namespace
}  // namespace tern::linalg
