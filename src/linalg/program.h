// Program: a LAmbdaPACK-style program of kernel calls on matrix blocks, and
// the lazy dependency analysis that lets workers walk its task DAG without
// ever unrolling it.
//
// A program is a nest of loops whose bounds are affine in the enclosing loop
// variables and the program's size parameters, scalar definitions, `if` on
// affine conditions, and statements. Each statement calls one kernel on
// blocks of named arrays, indexed by affine expressions of the loop
// variables. Every block version is assigned once (single assignment), so a
// block is named by its array and all its indices, versions included:
// Cholesky's trailing matrix is S[i, j, k], version k of block (i, j).
//
// A task is one statement instance: the statement and the values of its
// enclosing loop variables. Its parents are the tasks that write a block it
// reads; its children are the tasks that read a block it writes. Input arrays
// are only read (their blocks come from BigMatrix arguments); output arrays
// are two-dimensional and each of their blocks is written at most once (a
// block never written is zero, as the upper triangle of L).
//
// The contract between the language (builder.cc, parser.cc, analysis.cc,
// program.cc, programs.cc) and the executor (executor.cc): the executor
// knows nothing of loops or affine expressions; it asks a BoundProgram for
// starters, children, parents and the kernel call of a task.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tern::linalg {

// One statement instance.
struct Task {
  int statement = 0;          // index in the program's statement list
  std::vector<int64_t> loop;  // enclosing loop variables, outermost first
  auto operator<=>(const Task&) const = default;

  // A short stable text form, e.g. "2:1,0,3": queue bodies, counter names.
  std::string Key() const;
  // Throws Error(kInvalidArgument) for text Key() never produced.
  static Task FromKey(std::string_view key);
};

// One block version: an array name and integer indices.
struct BlockRef {
  std::string array;           // "A", "S", "L", ...
  std::vector<int64_t> index;  // {i, j} or {i, j, k}
  auto operator<=>(const BlockRef&) const = default;
};

// What one task does, bound to concrete blocks.
struct KernelCall {
  std::string kernel;             // one of the kernels below
  std::vector<BlockRef> inputs;   // in the kernel's argument order
  std::vector<BlockRef> outputs;  // one for every kernel below
};

// The kernels, on dense row-major double blocks (edge blocks are smaller;
// shapes follow from the arguments):
//   chol(A)              -> L, lower Cholesky factor of SPD A, zero above
//   trsm(L, B)           -> B L^-T        (right side, L lower)
//   trsm_left(L, B)      -> L^-1 B        (left side, L lower)
//   syrk(S, X, Y)        -> S - X Y^T     (Cholesky's trailing update)
//   gemm(A, B)           -> A B
//   gemm_acc(C, A, B)    -> C + A B
//   gemm_sub(C, A, B)    -> C - A B
//   gemm_nt(A, B)        -> A B^T
//   gemm_nt_acc(C, A, B) -> C + A B^T
inline constexpr std::string_view kKernels[] = {
    "chol",     "trsm",     "trsm_left", "syrk",       "gemm",
    "gemm_acc", "gemm_sub", "gemm_nt",   "gemm_nt_acc"};

class BoundProgram;
struct ProgramDef;  // the language's representation (builder.h)

// A program before its size parameters are known. Immutable, cheap to copy.
class Program {
 public:
  const std::string& name() const;
  // Size parameters, e.g. {"N"} for Cholesky, {"M", "N", "K"} for GEMM.
  std::vector<std::string> Parameters() const;
  // Arrays only read, bound to BigMatrix arguments in this order.
  std::vector<std::string> InputArrays() const;
  // Two-dimensional arrays whose blocks form the results.
  std::vector<std::string> OutputArrays() const;

  // Binds the size parameters (in blocks). Throws Error(kInvalidArgument) for
  // a missing, unknown, negative or absurd (above 2^24) parameter, and for a
  // program that assigns a block twice, naming both statements and the block.
  std::shared_ptr<const BoundProgram> Bind(
      const std::map<std::string, int64_t>& parameters) const;

  // Programs are made by ProgramBuilder::Build (builder.h). A
  // default-constructed Program is empty: Bind throws.
  Program() = default;
  explicit Program(std::shared_ptr<const ProgramDef> def);
  // The language's representation (builder.h), for tests and tools; null for
  // an empty program.
  const ProgramDef* definition() const { return def_.get(); }

 private:
  std::shared_ptr<const ProgramDef> def_;
};

// A program with its sizes: the DAG, answered lazily. Thread-safe.
class BoundProgram {
 public:
  virtual ~BoundProgram() = default;
  // Tasks with no parents.
  virtual std::vector<Task> Starters() const = 0;
  // Every task, counted without enumerating the DAG where the loop bounds
  // allow it.
  virtual uint64_t TaskCount() const = 0;
  // Tasks that read a block `task` writes / write a block `task` reads.
  // Sorted, without duplicates. Cost independent of the program's size.
  virtual std::vector<Task> Children(const Task& task) const = 0;
  virtual std::vector<Task> Parents(const Task& task) const = 0;
  // The kernel call of a task. Throws Error(kInvalidArgument) for a task that
  // is not an instance of the program.
  virtual KernelCall Call(const Task& task) const = 0;
  // "cholesky: statement 2 (syrk) at i=3, j=1, k=0": for error messages.
  virtual std::string Describe(const Task& task) const = 0;
};

// The programs tern ships (programs.cc).
Program GemmProgram();      // C = A B;          parameters M, N, K
Program CholeskyProgram();  // A = L L^T;        parameter  N
Program TrsmProgram();      // L X = B;          parameters N, M
Program SyrkProgram();      // C = A A^T (lower); parameters N, K

}  // namespace tern::linalg
