// BigMatrix: round trips through a file store with edge blocks, the
// generators, and an error naming the key for each kind of bad data.
#include <gtest/gtest.h>

#include <cmath>

#include "core/test_env.h"
#include "linalg/kernels.h"
#include "support/throws_error.h"
#include "tern/linalg.h"
#include "tern/object_store.h"

namespace tern::linalg {
namespace {

using testing_support::ThrowsError;

class BigMatrixTest : public testing_support::ExecutorTest {
 protected:
  std::string Store() const { return Options().store; }
};

Matrix Counting(int64_t rows, int64_t cols) {
  Matrix m(rows, cols);
  for (size_t k = 0; k < m.values.size(); ++k) m.values[k] = double(k) + 0.5;
  return m;
}

TEST_F(BigMatrixTest, RoundTripWithEdgeBlocks) {
  Matrix local = Counting(70, 45);
  BigMatrix m = BigMatrix::FromLocal(Store(), "m", local, 16);
  EXPECT_EQ(m.grid_rows(), 5);
  EXPECT_EQ(m.grid_cols(), 3);
  EXPECT_EQ(m.BlockShape(4, 2), (std::pair<int64_t, int64_t>{6, 13}));
  BigMatrix opened = BigMatrix::Open(Store(), "m");
  EXPECT_EQ(opened.rows(), 70);
  EXPECT_EQ(opened.block_cols(), 16);
  EXPECT_EQ(opened.ToLocal().values, local.values);
  EXPECT_EQ(opened.GetBlock(4, 2)(5, 12), local(69, 44));
}

TEST_F(BigMatrixTest, LowerMatricesStoreNoBlockAboveTheDiagonal) {
  BigMatrix m =
      BigMatrix::Create(Store(), "l", 20, 20, 8, 8, Structure::kLower);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      auto [r, c] = m.BlockShape(i, j);
      Matrix b(r, c);
      b.values.assign(b.values.size(), 1.0);
      m.PutBlock(i, j, b);
    }
  }
  Matrix local = BigMatrix::Open(Store(), "l").ToLocal();
  EXPECT_EQ(local(19, 0), 1.0);
  EXPECT_EQ(local(0, 19), 0.0);
  EXPECT_EQ(m.store().List("l/blocks/").size(), 6u);
  EXPECT_TRUE(ThrowsError([&] { m.PutBlock(0, 1, Matrix(8, 8)); },
                          ErrorCode::kInvalidArgument, {"above the diagonal"}));
}

TEST_F(BigMatrixTest, BadArgumentsAreClearErrors) {
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Create(Store(), "x", 0, 5, 2, 2); },
                          ErrorCode::kInvalidArgument, {"x", "shape"}));
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Create(Store(), "x", 5, 5, 2, 0); },
                          ErrorCode::kInvalidArgument, {"block shape"}));
  EXPECT_TRUE(ThrowsError(
      [&] { BigMatrix::Create(Store(), "x", 5, 6, 2, 2, Structure::kLower); },
      ErrorCode::kInvalidArgument, {"lower matrix must be square"}));
  BigMatrix m = BigMatrix::Create(Store(), "x", 5, 5, 2, 2);
  EXPECT_TRUE(ThrowsError([&] { m.PutBlock(0, 0, Matrix(2, 3)); },
                          ErrorCode::kInvalidArgument, {"is 2x2, got 2x3"}));
  EXPECT_TRUE(ThrowsError([&] { m.GetBlock(3, 0); },
                          ErrorCode::kInvalidArgument,
                          {"outside its 3x3 grid"}));
}

TEST_F(BigMatrixTest, BadStoredDataNamesTheKey) {
  BigMatrix m = BigMatrix::FromLocal(Store(), "m", Counting(10, 10), 4);
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Open(Store(), "nothing"); },
                          ErrorCode::kNotFound, {"nothing/header"}));
  m.store().Put("bad/header", "tern-bigmatrix 1\nrows 5\ncolour blue\n");
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Open(Store(), "bad"); },
                          ErrorCode::kCorruption, {"bad/header", "colour"}));
  m.store().Put("v9/header", "tern-bigmatrix 9\n");
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Open(Store(), "v9"); },
                          ErrorCode::kCorruption, {"v9/header", "version 9"}));
  m.store().Put("half/header", "tern-bigmatrix 1\nrows 5\n");
  EXPECT_TRUE(ThrowsError([&] { BigMatrix::Open(Store(), "half"); },
                          ErrorCode::kCorruption, {"half/header", "shape"}));

  m.store().Delete("m/blocks/1_2");
  EXPECT_TRUE(ThrowsError([&] { m.ToLocal(); }, ErrorCode::kNotFound,
                          {"m/blocks/1_2"}));
  m.store().Put("m/blocks/1_2", Block(4, 3).bytes());  // wrong shape
  EXPECT_TRUE(ThrowsError([&] { m.GetBlock(1, 2); }, ErrorCode::kCorruption,
                          {"m/blocks/1_2", "expected 4x2"}));
  m.store().Put("m/blocks/1_2", "not a block");
  EXPECT_TRUE(ThrowsError([&] { m.GetBlock(1, 2); }, ErrorCode::kCorruption,
                          {"m/blocks/1_2", "bad header"}));
}

TEST_F(BigMatrixTest, GeneratedMatricesAreDeterministicAndSpdIsSymmetric) {
  Executor ex(Options());
  Matrix a = RandomSpd(ex, "spd", 37, 10, 7).ToLocal();
  Matrix again = RandomSpd(ex, "spd2", 37, 10, 7).ToLocal();
  EXPECT_EQ(a.values, again.values);
  for (int64_t i = 0; i < 37; ++i) {
    for (int64_t j = 0; j < 37; ++j) ASSERT_EQ(a(i, j), a(j, i));
    EXPECT_GT(a(i, i), 36.0);
  }
  Matrix r = RandomMatrix(ex, "r", 23, 31, 10, 3).ToLocal();
  Matrix other = RandomMatrix(ex, "r2", 23, 31, 10, 4).ToLocal();
  EXPECT_NE(r.values, other.values);
  for (double v : r.values) ASSERT_TRUE(v >= -1 && v < 1);
}

TEST(ResidualTest, CholeskyResidualSeesAWrongFactor) {
  Matrix a(50, 50), l(50, 50);
  for (int64_t i = 0; i < 50; ++i) {
    a(i, i) = 4;
    l(i, i) = 2;
  }
  EXPECT_EQ(CholeskyResidual(a, l), 0.0);
  EXPECT_EQ(CholeskyResidual(a, l, 10), 0.0);
  l(10, 10) = 3;  // A - L L^T has one entry, -5 at (10, 10)
  double norm = 4 * std::sqrt(50.0);
  EXPECT_DOUBLE_EQ(CholeskyResidual(a, l), 5 / norm);
  // Ten sampled rows, row 10 among them: the estimate scales it by 50 / 10.
  EXPECT_DOUBLE_EQ(CholeskyResidual(a, l, 10), std::sqrt(5.0) * 5 / norm);
  EXPECT_TRUE(ThrowsError([&] { CholeskyResidual(a, Matrix(3, 3)); },
                          ErrorCode::kInvalidArgument, {"square"}));
}

}  // namespace
}  // namespace tern::linalg
