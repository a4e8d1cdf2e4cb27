// Each kernel against a naive triple loop, on edge-sized (non-square)
// blocks, and its errors.
#include "linalg/kernels.h"

#include <gtest/gtest.h>

#include <random>

#include "support/throws_error.h"

namespace tern::linalg {
namespace {

using testing_support::ThrowsError;

std::shared_ptr<Block> Random(int64_t rows, int64_t cols, int seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  auto b = std::make_shared<Block>(rows, cols);
  for (int64_t k = 0; k < rows * cols; ++k) b->mutable_data()[k] = u(random);
  return b;
}

// A lower triangular block with a strong diagonal (well conditioned).
BlockPtr RandomLower(int64_t n, int seed) {
  std::shared_ptr<Block> b = Random(n, n, seed);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) b->mutable_data()[i * n + j] = 0;
    b->mutable_data()[i * n + i] = 2 + std::abs(b->data()[i * n + i]);
  }
  return b;
}

double At(const Block& b, int64_t i, int64_t j) {
  return b.data()[i * b.cols() + j];
}

// Naive [c] + sign * a op(b).
Block Reference(const Block* c, const Block& a, const Block& b, double sign,
                bool transpose_b) {
  int64_t m = a.rows(), k = a.cols(), n = transpose_b ? b.rows() : b.cols();
  Block out(m, n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = c ? At(*c, i, j) : 0;
      for (int64_t x = 0; x < k; ++x) {
        sum += sign * At(a, i, x) * (transpose_b ? At(b, j, x) : At(b, x, j));
      }
      out.mutable_data()[i * n + j] = sum;
    }
  }
  return out;
}

void ExpectNear(const Block& got, const Block& want) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.cols(), want.cols());
  for (int64_t k = 0; k < got.rows() * got.cols(); ++k) {
    ASSERT_NEAR(got.data()[k], want.data()[k], 1e-11) << "at " << k;
  }
}

TEST(KernelsTest, GemmFamilyMatchesNaiveProducts) {
  BlockPtr a = Random(7, 5, 1), b = Random(5, 6, 2), c = Random(7, 6, 3);
  BlockPtr bt = Random(6, 5, 4);
  ExpectNear(RunKernel("gemm", {a, b}), Reference(nullptr, *a, *b, 1, false));
  ExpectNear(RunKernel("gemm_acc", {c, a, b}),
             Reference(c.get(), *a, *b, 1, false));
  ExpectNear(RunKernel("gemm_sub", {c, a, b}),
             Reference(c.get(), *a, *b, -1, false));
  ExpectNear(RunKernel("gemm_nt", {a, bt}),
             Reference(nullptr, *a, *bt, 1, true));
  ExpectNear(RunKernel("gemm_nt_acc", {c, a, bt}),
             Reference(c.get(), *a, *bt, 1, true));
  ExpectNear(RunKernel("syrk", {c, a, bt}),
             Reference(c.get(), *a, *bt, -1, true));
}

TEST(KernelsTest, CholGivesTheLowerFactor) {
  BlockPtr l = RandomLower(9, 5);
  auto a = std::make_shared<Block>(Reference(nullptr, *l, *l, 1, true));
  Block got = RunKernel("chol", {a});
  ExpectNear(got, *l);  // the factor with a positive diagonal is unique
}

TEST(KernelsTest, TrsmSolvesBothSides) {
  BlockPtr l = RandomLower(6, 7);
  BlockPtr x = Random(4, 6, 8);
  // trsm(L, B) = B L^-T: with B = X L^T it gives X back.
  auto b = std::make_shared<Block>(Reference(nullptr, *x, *l, 1, true));
  ExpectNear(RunKernel("trsm", {l, b}), *x);
  // trsm_left(L, B) = L^-1 B: with B = L Y it gives Y back.
  BlockPtr y = Random(6, 3, 9);
  auto b2 = std::make_shared<Block>(Reference(nullptr, *l, *y, 1, false));
  ExpectNear(RunKernel("trsm_left", {l, b2}), *y);
}

TEST(KernelsTest, CholOfANonSpdBlockFailsWithLapacksMessage) {
  auto a = std::make_shared<Block>(3, 3);
  a->mutable_data()[0] = 1;
  a->mutable_data()[4] = -1;  // second leading minor negative
  a->mutable_data()[8] = 1;
  EXPECT_TRUE(ThrowsError([&] { RunKernel("chol", {a}); },
                          ErrorCode::kTaskFailed,
                          {"dpotrf", "order 2", "not positive definite"}));
}

TEST(KernelsTest, BadCallsAreClearErrors) {
  BlockPtr a = Random(3, 4, 1), b = Random(5, 2, 2);
  EXPECT_TRUE(ThrowsError(
      [&] {
        RunKernel("gemm", {a, b});
      },
      ErrorCode::kInvalidArgument, {"gemm", "inner dimensions", "3x4", "5x2"}));
  EXPECT_TRUE(ThrowsError([&] { RunKernel("gemm", {a}); },
                          ErrorCode::kInvalidArgument,
                          {"takes 2 inputs, got 1"}));
  EXPECT_TRUE(ThrowsError([&] { RunKernel("chol", {a}); },
                          ErrorCode::kInvalidArgument, {"chol", "not square"}));
  EXPECT_TRUE(ThrowsError([&] { RunKernel("lu", {a}); },
                          ErrorCode::kInvalidArgument,
                          {"lu", "unknown kernel"}));
  EXPECT_TRUE(ThrowsError(
      [&] {
        RunKernel("trsm", {RandomLower(3, 1), a});
      },
      ErrorCode::kInvalidArgument, {"does not fit"}));
}

TEST(BlockTest, ParseChecksHeaderSizeAndShape) {
  Block b(2, 3);
  b.mutable_data()[5] = 42;
  Block back = Block::Parse(std::string(b.bytes()), "k", 2, 3);
  EXPECT_EQ(back.data()[5], 42);
  EXPECT_TRUE(ThrowsError([&] { Block::Parse("garbage", "m/blocks/0_0"); },
                          ErrorCode::kCorruption,
                          {"m/blocks/0_0", "bad header"}));
  EXPECT_TRUE(ThrowsError(
      [&] { Block::Parse(std::string(b.bytes().substr(0, 40)), "key"); },
      ErrorCode::kCorruption, {"key", "does not match its shape 2x3"}));
  EXPECT_TRUE(
      ThrowsError([&] { Block::Parse(std::string(b.bytes()), "key", 3, 3); },
                  ErrorCode::kCorruption, {"key", "expected 3x3"}));
}

}  // namespace
}  // namespace tern::linalg
