// The shipped programs compute what they claim: each is run in-process on
// small dense matrices (blocks with ragged edges), task by task in an order
// the lazy analysis alone decides (a task runs once all its Parents() ran;
// Children() says whom to look at next), with naive kernels written here.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>

#include "linalg/program.h"

namespace tern::linalg {
namespace {

struct Mat {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  Mat() = default;
  Mat(int64_t r, int64_t c) : rows(r), cols(c), v(r * c, 0.0) {}
  double& operator()(int64_t i, int64_t j) { return v[i * cols + j]; }
  double operator()(int64_t i, int64_t j) const { return v[i * cols + j]; }
};

// a (+|-) b c or b c^T (transpose_c), into a copy of a (or zeros).
Mat MulAdd(const Mat* a, double sign, const Mat& b, const Mat& c,
           bool transpose_c) {
  int64_t n = transpose_c ? c.rows : c.cols;
  Mat out = a ? *a : Mat(b.rows, n);
  for (int64_t i = 0; i < b.rows; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < b.cols; ++k) {
        s += b(i, k) * (transpose_c ? c(j, k) : c(k, j));
      }
      out(i, j) += sign * s;
    }
  }
  return out;
}

Mat Chol(const Mat& a) {
  Mat l(a.rows, a.cols);
  for (int64_t j = 0; j < a.rows; ++j) {
    double d = a(j, j);
    for (int64_t k = 0; k < j; ++k) d -= l(j, k) * l(j, k);
    l(j, j) = std::sqrt(d);
    for (int64_t i = j + 1; i < a.rows; ++i) {
      double s = a(i, j);
      for (int64_t k = 0; k < j; ++k) s -= l(i, k) * l(j, k);
      l(i, j) = s / l(j, j);
    }
  }
  return l;
}

// L^-1 B by forward substitution, column by column.
Mat SolveLeft(const Mat& l, const Mat& b) {
  Mat x = b;
  for (int64_t c = 0; c < b.cols; ++c) {
    for (int64_t i = 0; i < b.rows; ++i) {
      double s = x(i, c);
      for (int64_t k = 0; k < i; ++k) s -= l(i, k) * x(k, c);
      x(i, c) = s / l(i, i);
    }
  }
  return x;
}

Mat Transpose(const Mat& a) {
  Mat t(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  }
  return t;
}

Mat Run(const std::string& kernel, const std::vector<Mat>& in) {
  if (kernel == "chol") return Chol(in[0]);
  if (kernel == "trsm") {  // B L^-T = (L^-1 B^T)^T
    return Transpose(SolveLeft(in[0], Transpose(in[1])));
  }
  if (kernel == "trsm_left") return SolveLeft(in[0], in[1]);
  if (kernel == "syrk") return MulAdd(&in[0], -1, in[1], in[2], true);
  if (kernel == "gemm") return MulAdd(nullptr, 1, in[0], in[1], false);
  if (kernel == "gemm_acc") return MulAdd(&in[0], 1, in[1], in[2], false);
  if (kernel == "gemm_sub") return MulAdd(&in[0], -1, in[1], in[2], false);
  if (kernel == "gemm_nt") return MulAdd(nullptr, 1, in[0], in[1], true);
  if (kernel == "gemm_nt_acc") return MulAdd(&in[0], 1, in[1], in[2], true);
  ADD_FAILURE() << "unknown kernel " << kernel;
  return {};
}

constexpr int64_t kBlock = 2;

int64_t Blocks(int64_t n) { return (n + kBlock - 1) / kBlock; }

Mat Slice(const Mat& m, int64_t bi, int64_t bj) {
  Mat out(std::min(kBlock, m.rows - bi * kBlock),
          std::min(kBlock, m.cols - bj * kBlock));
  for (int64_t i = 0; i < out.rows; ++i) {
    for (int64_t j = 0; j < out.cols; ++j) {
      out(i, j) = m(bi * kBlock + i, bj * kBlock + j);
    }
  }
  return out;
}

// Runs `program` on dense inputs; returns the output array `out` assembled
// (rows x cols; blocks never written are zero).
Mat Interpret(const Program& program,
              const std::map<std::string, int64_t>& sizes,
              const std::map<std::string, Mat>& inputs, const std::string& out,
              int64_t rows, int64_t cols) {
  auto bound = program.Bind(sizes);
  std::map<BlockRef, Mat> blocks;
  std::map<Task, size_t> done_parents;
  std::deque<Task> ready;
  for (const Task& t : bound->Starters()) ready.push_back(t);
  uint64_t ran = 0;
  while (!ready.empty()) {
    Task t = ready.front();
    ready.pop_front();
    KernelCall call = bound->Call(t);
    std::vector<Mat> args;
    for (const BlockRef& b : call.inputs) {
      auto in = inputs.find(b.array);
      if (in != inputs.end()) {
        args.push_back(Slice(in->second, b.index[0], b.index[1]));
      } else {
        EXPECT_TRUE(blocks.count(b)) << bound->Describe(t) << " reads an "
                                     << "unwritten block of " << b.array;
        args.push_back(blocks[b]);
      }
    }
    EXPECT_FALSE(blocks.count(call.outputs[0])) << bound->Describe(t);
    blocks[call.outputs[0]] = Run(call.kernel, args);
    ++ran;
    for (const Task& c : bound->Children(t)) {
      if (++done_parents[c] == bound->Parents(c).size()) ready.push_back(c);
    }
  }
  EXPECT_EQ(ran, bound->TaskCount());
  Mat result(rows, cols);
  for (const auto& [ref, m] : blocks) {
    if (ref.array != out) continue;
    for (int64_t i = 0; i < m.rows; ++i) {
      for (int64_t j = 0; j < m.cols; ++j) {
        result(ref.index[0] * kBlock + i, ref.index[1] * kBlock + j) = m(i, j);
      }
    }
  }
  return result;
}

Mat Random(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Mat m(rows, cols);
  for (double& x : m.v) x = u(gen);
  return m;
}

void ExpectNear(const Mat& a, const Mat& b) {
  ASSERT_EQ(a.rows, b.rows);
  ASSERT_EQ(a.cols, b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) {
      EXPECT_NEAR(a(i, j), b(i, j), 1e-9) << "at " << i << "," << j;
    }
  }
}

TEST(ProgramInterpretTest, GemmMultiplies) {
  for (auto [m, k, n] :
       {std::array<int64_t, 3>{5, 7, 3}, {2, 1, 2}, {1, 4, 6}, {6, 6, 6}}) {
    Mat a = Random(m, k, 1), b = Random(k, n, 2);
    Mat c = Interpret(GemmProgram(),
                      {{"M", Blocks(m)}, {"N", Blocks(n)}, {"K", Blocks(k)}},
                      {{"A", a}, {"B", b}}, "C", m, n);
    ExpectNear(c, MulAdd(nullptr, 1, a, b, false));
  }
}

TEST(ProgramInterpretTest, CholeskyFactors) {
  for (int64_t n : {1, 2, 5, 8, 11}) {
    Mat r = Random(n, n, 3);
    Mat a = MulAdd(nullptr, 1, r, r, true);
    for (int64_t i = 0; i < n; ++i) a(i, i) += n;
    Mat l =
        Interpret(CholeskyProgram(), {{"N", Blocks(n)}}, {{"A", a}}, "L", n, n);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) EXPECT_EQ(l(i, j), 0.0);
    }
    ExpectNear(MulAdd(nullptr, 1, l, l, true), a);
  }
}

TEST(ProgramInterpretTest, TrsmSolves) {
  for (auto [n, m] : {std::array<int64_t, 2>{7, 5}, {1, 3}, {4, 1}, {9, 9}}) {
    Mat l = Random(n, n, 4);
    for (int64_t i = 0; i < n; ++i) {
      l(i, i) = n + 1.0;
      for (int64_t j = i + 1; j < n; ++j) l(i, j) = 0;
    }
    Mat b = Random(n, m, 5);
    Mat x = Interpret(TrsmProgram(), {{"N", Blocks(n)}, {"M", Blocks(m)}},
                      {{"L", l}, {"B", b}}, "X", n, m);
    ExpectNear(MulAdd(nullptr, 1, l, x, false), b);
  }
}

TEST(ProgramInterpretTest, SyrkComputesLowerBlocks) {
  for (auto [n, k] : {std::array<int64_t, 2>{7, 5}, {1, 1}, {3, 8}, {6, 2}}) {
    Mat a = Random(n, k, 6);
    Mat c = Interpret(SyrkProgram(), {{"N", Blocks(n)}, {"K", Blocks(k)}},
                      {{"A", a}}, "C", n, n);
    Mat want = MulAdd(nullptr, 1, a, a, true);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        if (j / kBlock > i / kBlock) want(i, j) = 0;  // upper blocks unset
      }
    }
    ExpectNear(c, want);
  }
}

}  // namespace
}  // namespace tern::linalg
