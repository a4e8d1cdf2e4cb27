// Blocks as stored, and the kernels of program.h on them (OpenBLAS through
// CBLAS, LAPACKE).
//
// A block object is a 24-byte header, the magic "ternblk1" then rows and
// cols as little-endian int64, followed by rows * cols row-major doubles.
// Block keeps those bytes as they come from the store, so that reading a
// block copies nothing and writing one hands the store the same buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/object_store.h"

namespace tern::linalg {

class Block {
 public:
  Block() : Block(0, 0) {}
  // A rows x cols block of zeros.
  Block(int64_t rows, int64_t cols);
  // A rows x cols block whose entries the caller then writes, all of them.
  static Block Uninitialized(int64_t rows, int64_t cols);
  // Takes the stored bytes of a block, as read or mapped from the store.
  // Throws Error(kCorruption) naming `key` if they are not one, or (when
  // expected_rows >= 0) if its shape is not the expected one.
  static Block Parse(SharedBytes bytes, std::string_view key,
                     int64_t expected_rows = -1, int64_t expected_cols = -1);
  static Block Parse(std::string bytes, std::string_view key,
                     int64_t expected_rows = -1, int64_t expected_cols = -1) {
    return Parse(SharedBytes(std::move(bytes)), key, expected_rows,
                 expected_cols);
  }

  // Blocks share their bytes when copied: move them instead.
  Block(Block&&) = default;
  Block& operator=(Block&&) = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  // The entries, row-major.
  const double* data() const {
    return reinterpret_cast<const double*>(bytes_.view().data() + kHeader);
  }
  // The same, to write: only a block made here, not a parsed one (which may
  // be a read-only mapping of a stored file). Throws std::logic_error for a
  // parsed block.
  double* mutable_data();
  // The bytes to store.
  std::string_view bytes() const { return bytes_.view(); }

  static constexpr size_t kHeader = 24;

 private:
  Block(int64_t rows, int64_t cols, bool zero);

  SharedBytes bytes_;
  char* writable_ = nullptr;  // bytes_'s memory, when this block made it
  int64_t rows_ = 0;
  int64_t cols_ = 0;
};

using BlockPtr = std::shared_ptr<const Block>;

// Runs one kernel of program.h's list on its inputs (in argument order) and
// returns its output. Throws Error(kInvalidArgument) for an unknown kernel,
// a wrong number of inputs or shapes that do not fit, and Error(kTaskFailed)
// when LAPACK fails (chol of a block that is not positive definite), with
// LAPACK's message.
Block RunKernel(std::string_view kernel, const std::vector<BlockPtr>& inputs);

// Makes OpenBLAS in this process use `threads` threads: one for a loop's
// own core, more while other loops on the host lend theirs.
void UseBlasThreads(int threads);

}  // namespace tern::linalg
