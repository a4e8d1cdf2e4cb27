// BigMatrix: the header and block objects of a matrix in an ObjectStore, and
// the tasks that generate random ones.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include "linalg/kernels.h"
#include "linalg/random_entry.h"
#include "tern/errors.h"
#include "tern/linalg.h"
#include "tern/object_store.h"

namespace tern::linalg {
namespace {

constexpr int kFormatVersion = 1;
constexpr const char* kHeaderMagic = "tern-bigmatrix";

std::string HeaderKey(const std::string& prefix) { return prefix + "/header"; }

const char* StructureName(Structure s) {
  return s == Structure::kLower ? "lower" : "general";
}

[[noreturn]] void Invalid(const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, what);
}

}  // namespace

BigMatrix BigMatrix::Create(const std::string& store_uri,
                            const std::string& prefix, int64_t rows,
                            int64_t cols, int64_t block_rows,
                            int64_t block_cols, Structure structure) {
  std::string what = "matrix " + prefix + ": ";
  if (rows <= 0 || cols <= 0) Invalid(what + "shape must be positive");
  if (block_rows <= 0 || block_cols <= 0) {
    Invalid(what + "block shape must be positive");
  }
  if (structure == Structure::kLower &&
      (rows != cols || block_rows != block_cols)) {
    Invalid(what + "a lower matrix must be square with square blocks");
  }
  ObjectStore::CheckKey(HeaderKey(prefix));
  BigMatrix m;
  m.store_uri_ = store_uri;
  m.prefix_ = prefix;
  m.rows_ = rows;
  m.cols_ = cols;
  m.block_rows_ = block_rows;
  m.block_cols_ = block_cols;
  m.structure_ = structure;
  m.store_ = ObjectStore::Open(store_uri);
  m.WriteHeader();
  return m;
}

void BigMatrix::WriteHeader() const {
  std::ostringstream out;
  out << kHeaderMagic << " " << kFormatVersion << "\nrows " << rows_
      << "\ncols " << cols_ << "\nblock_rows " << block_rows_ << "\nblock_cols "
      << block_cols_ << "\ndtype float64\nstructure "
      << StructureName(structure_) << "\n";
  store_->Put(HeaderKey(prefix_), out.str());
}

BigMatrix BigMatrix::Open(const std::string& store_uri,
                          const std::string& prefix) {
  std::string key = HeaderKey(prefix);
  BigMatrix m;
  m.store_uri_ = store_uri;
  m.prefix_ = prefix;
  m.store_ = ObjectStore::Open(store_uri);
  std::optional<std::string> text = m.store_->Get(key);
  if (!text) {
    throw Error(ErrorCode::kNotFound,
                "no matrix at " + prefix + ": header " + key + " not found");
  }
  auto corrupt = [&](const std::string& why) {
    return Error(ErrorCode::kCorruption, "matrix header " + key + ": " + why);
  };
  std::istringstream in(*text);
  std::string magic, name, dtype = "float64", structure = "general";
  int version = 0;
  if (!(in >> magic >> version) || magic != kHeaderMagic) {
    throw corrupt("not a tern matrix header");
  }
  if (version != kFormatVersion) {
    throw corrupt("format version " + std::to_string(version) +
                  ", this tern reads " + std::to_string(kFormatVersion));
  }
  while (in >> name) {
    if (name == "dtype") {
      in >> dtype;
    } else if (name == "structure") {
      in >> structure;
    } else if (name == "rows") {
      in >> m.rows_;
    } else if (name == "cols") {
      in >> m.cols_;
    } else if (name == "block_rows") {
      in >> m.block_rows_;
    } else if (name == "block_cols") {
      in >> m.block_cols_;
    } else {
      throw corrupt("unknown field '" + name + "'");
    }
    if (!in) throw corrupt("bad value of '" + name + "'");
  }
  if (dtype != "float64") throw corrupt("dtype " + dtype + " is not float64");
  if (structure != "general" && structure != "lower") {
    throw corrupt("unknown structure " + structure);
  }
  m.structure_ = structure == "lower" ? Structure::kLower : Structure::kGeneral;
  if (m.rows_ <= 0 || m.cols_ <= 0 || m.block_rows_ <= 0 ||
      m.block_cols_ <= 0) {
    throw corrupt("missing or non-positive shape");
  }
  return m;
}

BigMatrix BigMatrix::FromLocal(const std::string& store_uri,
                               const std::string& prefix, const Matrix& local,
                               int64_t block) {
  if (int64_t(local.values.size()) != local.rows * local.cols) {
    Invalid("matrix " + prefix + ": local matrix has " +
            std::to_string(local.values.size()) + " values for its shape");
  }
  BigMatrix m = Create(store_uri, prefix, local.rows, local.cols, block, block);
  for (int64_t i = 0; i < m.grid_rows(); ++i) {
    for (int64_t j = 0; j < m.grid_cols(); ++j) {
      auto [r, c] = m.BlockShape(i, j);
      Matrix b(r, c);
      for (int64_t x = 0; x < r; ++x) {
        std::memcpy(&b(x, 0),
                    &local.values[(i * block + x) * local.cols + j * block],
                    sizeof(double) * c);
      }
      m.PutBlock(i, j, b);
    }
  }
  return m;
}

std::pair<int64_t, int64_t> BigMatrix::BlockShape(int64_t i, int64_t j) const {
  if (i < 0 || j < 0 || i >= grid_rows() || j >= grid_cols()) {
    Invalid("matrix " + prefix_ + ": block (" + std::to_string(i) + ", " +
            std::to_string(j) + ") is outside its " +
            std::to_string(grid_rows()) + "x" + std::to_string(grid_cols()) +
            " grid");
  }
  return {std::min(block_rows_, rows_ - i * block_rows_),
          std::min(block_cols_, cols_ - j * block_cols_)};
}

std::string BigMatrix::BlockKey(int64_t i, int64_t j) const {
  return prefix_ + "/blocks/" + std::to_string(i) + "_" + std::to_string(j);
}

bool BigMatrix::Stored(int64_t i, int64_t j) const {
  return structure_ == Structure::kGeneral || j <= i;
}

Matrix BigMatrix::GetBlock(int64_t i, int64_t j) const {
  auto [r, c] = BlockShape(i, j);
  Matrix m(r, c);
  if (!Stored(i, j)) return m;
  std::string key = BlockKey(i, j);
  std::optional<SharedBytes> bytes = store_->Map(key);
  if (!bytes) {
    throw Error(ErrorCode::kNotFound,
                "matrix " + prefix_ + ": block " + key + " not found");
  }
  const Block b = Block::Parse(std::move(*bytes), key, r, c);
  std::memcpy(m.values.data(), b.data(), sizeof(double) * r * c);
  return m;
}

void BigMatrix::PutBlock(int64_t i, int64_t j, const Matrix& m) const {
  auto [r, c] = BlockShape(i, j);
  if (m.rows != r || m.cols != c || int64_t(m.values.size()) != r * c) {
    Invalid("matrix " + prefix_ + ": block (" + std::to_string(i) + ", " +
            std::to_string(j) + ") is " + std::to_string(r) + "x" +
            std::to_string(c) + ", got " + std::to_string(m.rows) + "x" +
            std::to_string(m.cols));
  }
  if (!Stored(i, j)) {
    Invalid("matrix " + prefix_ + ": block (" + std::to_string(i) + ", " +
            std::to_string(j) + ") is above the diagonal of a lower matrix");
  }
  Block b = Block::Uninitialized(r, c);
  std::memcpy(b.mutable_data(), m.values.data(), sizeof(double) * r * c);
  store_->Put(BlockKey(i, j), b.bytes());
}

Matrix BigMatrix::ToLocal() const {
  Matrix out(rows_, cols_);
  std::atomic<int64_t> next{0};
  int64_t blocks = grid_rows() * grid_cols();
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (int64_t n = next++; n < blocks; n = next++) {
      int64_t i = n / grid_cols(), j = n % grid_cols();
      try {
        Matrix b = GetBlock(i, j);
        for (int64_t x = 0; x < b.rows; ++x) {
          std::memcpy(&out(i * block_rows_ + x, j * block_cols_), &b(x, 0),
                      sizeof(double) * b.cols);
        }
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

void BigMatrix::Delete() const {
  for (const std::string& key : store_->List(prefix_ + "/blocks/")) {
    store_->Delete(key);
  }
  store_->Delete(HeaderKey(prefix_));
}

// ---- Random matrices, one task per block.

namespace {

struct GenerateSpec {
  std::string store;
  std::string prefix;
  uint64_t seed = 0;
  bool spd = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(store, prefix, seed, spd);
  }
};

Void GenerateBlock(std::pair<int64_t, int64_t> index, GenerateSpec spec) {
  BigMatrix m = BigMatrix::Open(spec.store, spec.prefix);
  auto [i, j] = index;
  auto [r, c] = m.BlockShape(i, j);
  Block b = Block::Uninitialized(r, c);
  double* d = b.mutable_data();
  for (int64_t x = 0; x < r; ++x) {
    int64_t row = i * m.block_rows() + x;
    for (int64_t y = 0; y < c; ++y) {
      int64_t col = j * m.block_cols() + y;
      d[x * c + y] = spec.spd ? RandomSpdEntry(spec.seed, m.rows(), row, col)
                              : RandomEntry(spec.seed, row, col);
    }
  }
  m.store().Put(m.BlockKey(i, j), b.bytes());
  return {};
}

BigMatrix Generate(Executor& ex, const std::string& prefix, int64_t rows,
                   int64_t cols, int64_t block, uint64_t seed, bool spd) {
  BigMatrix m =
      BigMatrix::Create(ex.options().store, prefix, rows, cols, block, block);
  std::vector<std::pair<int64_t, int64_t>> blocks;
  for (int64_t i = 0; i < m.grid_rows(); ++i) {
    for (int64_t j = 0; j < m.grid_cols(); ++j) blocks.emplace_back(i, j);
  }
  GetAllResults(ex.Map(GenerateBlock, blocks,
                       GenerateSpec{ex.options().store, prefix, seed, spd}));
  return m;
}

}  // namespace

BigMatrix RandomMatrix(Executor& ex, const std::string& prefix, int64_t rows,
                       int64_t cols, int64_t block, uint64_t seed) {
  return Generate(ex, prefix, rows, cols, block, seed, false);
}

BigMatrix RandomSpd(Executor& ex, const std::string& prefix, int64_t n,
                    int64_t block, uint64_t seed) {
  return Generate(ex, prefix, n, n, block, seed, true);
}

double RelativeDifference(const Matrix& a, const Matrix& b) {
  if (a.rows != b.rows || a.cols != b.cols) {
    Invalid("RelativeDifference: shapes " + std::to_string(a.rows) + "x" +
            std::to_string(a.cols) + " and " + std::to_string(b.rows) + "x" +
            std::to_string(b.cols) + " differ");
  }
  long double diff = 0, norm = 0;
  for (size_t k = 0; k < a.values.size(); ++k) {
    long double d = a.values[k] - b.values[k];
    diff += d * d;
    norm += (long double)a.values[k] * a.values[k];
  }
  return norm == 0 ? double(std::sqrt(diff)) : double(std::sqrt(diff / norm));
}

double CholeskyResidual(const Matrix& a, const Matrix& l, int64_t sample_rows) {
  int64_t n = a.rows;
  if (a.cols != n || l.rows != n || l.cols != n) {
    Invalid("CholeskyResidual: needs square matrices of one size");
  }
  if (sample_rows <= 0 || sample_rows > n) sample_rows = n;
  // Rows i * n / sample_rows of L, multiplied by L^T in one dgemm.
  Matrix rows(sample_rows, n), product(sample_rows, n);
  for (int64_t r = 0; r < sample_rows; ++r) {
    std::memcpy(&rows(r, 0), &l.values[(r * n / sample_rows) * n],
                sizeof(double) * n);
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, sample_rows, n, n, 1.0,
              rows.values.data(), n, l.values.data(), n, 0.0,
              product.values.data(), n);
  long double diff = 0, norm = 0;
  for (int64_t r = 0; r < sample_rows; ++r) {
    const double* want = &a.values[(r * n / sample_rows) * n];
    for (int64_t c = 0; c < n; ++c) {
      long double d = want[c] - product(r, c);
      diff += d * d;
    }
  }
  for (double v : a.values) norm += (long double)v * v;
  diff *= (long double)n / sample_rows;
  return norm == 0 ? 0 : double(std::sqrt(diff / norm));
}

}  // namespace tern::linalg
