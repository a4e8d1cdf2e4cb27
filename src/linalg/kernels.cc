#include "linalg/kernels.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "tern/errors.h"

extern "C" void openblas_set_num_threads(int);

namespace tern::linalg {
namespace {

constexpr char kMagic[8] = {'t', 'e', 'r', 'n', 'b', 'l', 'k', '1'};

void WriteHeader(char* bytes, int64_t rows, int64_t cols) {
  std::memcpy(bytes, kMagic, 8);
  std::memcpy(bytes + 8, &rows, 8);
  std::memcpy(bytes + 16, &cols, 8);
}

[[noreturn]] void Invalid(std::string_view kernel, const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument,
              "kernel " + std::string(kernel) + ": " + what);
}

std::string Shape(const Block& b) {
  return std::to_string(b.rows()) + "x" + std::to_string(b.cols());
}

void Require(bool ok, std::string_view kernel, const std::string& what,
             const std::vector<BlockPtr>& in) {
  if (ok) return;
  std::string shapes;
  for (const BlockPtr& b : in)
    shapes += (shapes.empty() ? "" : ", ") + Shape(*b);
  Invalid(kernel, what + " (inputs " + shapes + ")");
}

Block Copy(const Block& b) {
  Block out = Block::Uninitialized(b.rows(), b.cols());
  std::memcpy(out.mutable_data(), b.data(),
              sizeof(double) * b.rows() * b.cols());
  return out;
}

// out = [c] + alpha op(a) op(b): c, when given, must be m x n.
Block Gemm(std::string_view kernel, const std::vector<BlockPtr>& in,
           bool accumulate, double alpha, bool transpose_b) {
  size_t first = accumulate ? 1 : 0;
  const Block& a = *in[first];
  const Block& b = *in[first + 1];
  int64_t m = a.rows(), k = a.cols();
  int64_t n = transpose_b ? b.rows() : b.cols();
  int64_t kb = transpose_b ? b.cols() : b.rows();
  Require(k == kb, kernel, "inner dimensions differ", in);
  Block out = accumulate ? Copy(*in[0]) : Block(m, n);
  Require(out.rows() == m && out.cols() == n, kernel,
          "accumulator shape differs from the product's", in);
  if (m == 0 || n == 0 || k == 0) return out;
  cblas_dgemm(CblasRowMajor, CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a.data(),
              k, b.data(), b.cols(), accumulate ? 1.0 : 0.0, out.mutable_data(),
              n);
  return out;
}

// L, lower, with L L^T = A. A row-major matrix read as column-major is its
// transpose, so LAPACK's column-major upper factor U (A = U^T U) is, read
// row-major, the lower factor: no transposed copy as row-major LAPACKE makes.
Block Chol(std::string_view kernel, const std::vector<BlockPtr>& in) {
  const Block& a = *in[0];
  Require(a.rows() == a.cols(), kernel, "block is not square", in);
  Block l = Copy(a);
  int64_t n = l.rows();
  if (n == 0) return l;
  lapack_int info =
      LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, l.mutable_data(), n);
  if (info > 0) {
    throw Error(ErrorCode::kTaskFailed,
                "LAPACK dpotrf: the leading minor of order " +
                    std::to_string(info) + " of the " + Shape(a) +
                    " block is not positive definite");
  }
  if (info < 0) {
    throw Error(ErrorCode::kTaskFailed,
                "LAPACK dpotrf: illegal argument " + std::to_string(-info));
  }
  double* d = l.mutable_data();
  for (int64_t i = 0; i < n; ++i) {
    std::memset(d + i * n + i + 1, 0, sizeof(double) * (n - i - 1));
  }
  return l;
}

// right: B L^-T (B is m x n, L n x n); left: L^-1 B (L m x m).
Block Trsm(std::string_view kernel, const std::vector<BlockPtr>& in,
           bool right) {
  const Block& l = *in[0];
  Require(l.rows() == l.cols(), kernel, "triangular block is not square", in);
  Block x = Copy(*in[1]);
  Require((right ? x.cols() : x.rows()) == l.rows(), kernel,
          "triangular block does not fit the right-hand side", in);
  if (x.rows() == 0 || x.cols() == 0) return x;
  cblas_dtrsm(CblasRowMajor, right ? CblasRight : CblasLeft, CblasLower,
              right ? CblasTrans : CblasNoTrans, CblasNonUnit, x.rows(),
              x.cols(), 1.0, l.data(), l.cols(), x.mutable_data(), x.cols());
  return x;
}

// S - X Y^T. When X and Y are the same block (Cholesky's diagonal updates,
// a third of its syrk tasks) dsyrk does half the flops of dgemm; the upper
// triangle is then mirrored so the result is the same full block.
Block Syrk(std::string_view kernel, const std::vector<BlockPtr>& in) {
  const Block& x = *in[1];
  const Block& y = *in[2];
  bool same = in[1] == in[2] ||
              (x.rows() == y.rows() && x.cols() == y.cols() &&
               std::memcmp(x.data(), y.data(),
                           sizeof(double) * x.rows() * x.cols()) == 0);
  if (!same) return Gemm(kernel, in, true, -1, true);
  Block out = Copy(*in[0]);
  int64_t n = x.rows(), k = x.cols();
  Require(out.rows() == n && out.cols() == n, kernel,
          "accumulator shape differs from the product's", in);
  if (n == 0) return out;
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, k, -1.0, x.data(), k,
              1.0, out.mutable_data(), n);
  constexpr int64_t kTile = 64;  // mirror tile by tile, for the cache
  double* d = out.mutable_data();
  for (int64_t i0 = 0; i0 < n; i0 += kTile) {
    for (int64_t j0 = 0; j0 <= i0; j0 += kTile) {
      for (int64_t i = i0; i < std::min(n, i0 + kTile); ++i) {
        for (int64_t j = j0; j < std::min(i, j0 + kTile); ++j) {
          d[j * n + i] = d[i * n + j];
        }
      }
    }
  }
  return out;
}

using KernelFn =
    std::function<Block(std::string_view, const std::vector<BlockPtr>&)>;
struct KernelInfo {
  size_t arity;
  KernelFn run;
};

const std::map<std::string, KernelInfo, std::less<>>& Kernels() {
  using In = const std::vector<BlockPtr>&;
  using K = std::string_view;
  static const auto* kernels =
      new std::map<std::string, KernelInfo, std::less<>>{
          {"chol", {1, Chol}},
          {"trsm", {2, [](K k, In in) { return Trsm(k, in, true); }}},
          {"trsm_left", {2, [](K k, In in) { return Trsm(k, in, false); }}},
          {"syrk", {3, Syrk}},
          {"gemm",
           {2, [](K k, In in) { return Gemm(k, in, false, 1, false); }}},
          {"gemm_acc",
           {3, [](K k, In in) { return Gemm(k, in, true, 1, false); }}},
          {"gemm_sub",
           {3, [](K k, In in) { return Gemm(k, in, true, -1, false); }}},
          {"gemm_nt",
           {2, [](K k, In in) { return Gemm(k, in, false, 1, true); }}},
          {"gemm_nt_acc",
           {3, [](K k, In in) { return Gemm(k, in, true, 1, true); }}},
      };
  return *kernels;
}

}  // namespace

Block::Block(int64_t rows, int64_t cols) : Block(rows, cols, true) {}

Block Block::Uninitialized(int64_t rows, int64_t cols) {
  return Block(rows, cols, false);
}

Block::Block(int64_t rows, int64_t cols, bool zero) : rows_(rows), cols_(cols) {
  size_t size = kHeader + sizeof(double) * rows * cols;
  // new char[] leaves the entries as they are: no pass over a block that a
  // kernel is about to overwrite whole.
  std::shared_ptr<char[]> memory(zero ? new char[size]() : new char[size]);
  writable_ = memory.get();
  WriteHeader(writable_, rows, cols);
  bytes_ = SharedBytes(std::move(memory), std::string_view(writable_, size));
}

double* Block::mutable_data() {
  if (!writable_) {
    throw std::logic_error("a parsed matrix block is read-only");
  }
  return reinterpret_cast<double*>(writable_ + kHeader);
}

Block Block::Parse(SharedBytes bytes, std::string_view key,
                   int64_t expected_rows, int64_t expected_cols) {
  auto corrupt = [&](const std::string& why) {
    return Error(ErrorCode::kCorruption,
                 "matrix block " + std::string(key) + ": " + why);
  };
  std::string_view view = bytes.view();
  if (view.size() < kHeader || std::memcmp(view.data(), kMagic, 8) != 0) {
    throw corrupt("not a tern matrix block (bad header)");
  }
  Block b;
  std::memcpy(&b.rows_, view.data() + 8, 8);
  std::memcpy(&b.cols_, view.data() + 16, 8);
  if (b.rows_ < 0 || b.cols_ < 0 ||
      view.size() != kHeader + sizeof(double) * b.rows_ * b.cols_) {
    throw corrupt("size " + std::to_string(view.size()) +
                  " does not match its shape " + Shape(b));
  }
  if (expected_rows >= 0 &&
      (b.rows_ != expected_rows || b.cols_ != expected_cols)) {
    throw corrupt("shape " + Shape(b) + ", expected " +
                  std::to_string(expected_rows) + "x" +
                  std::to_string(expected_cols));
  }
  b.bytes_ = std::move(bytes);
  b.writable_ = nullptr;
  return b;
}

Block RunKernel(std::string_view kernel, const std::vector<BlockPtr>& inputs) {
  auto found = Kernels().find(kernel);
  if (found == Kernels().end()) Invalid(kernel, "unknown kernel");
  if (inputs.size() != found->second.arity) {
    Invalid(kernel, "takes " + std::to_string(found->second.arity) +
                        " inputs, got " + std::to_string(inputs.size()));
  }
  return found->second.run(kernel, inputs);
}

void UseBlasThreads(int threads) { openblas_set_num_threads(threads); }

}  // namespace tern::linalg
