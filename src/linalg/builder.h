// ProgramBuilder: LAmbdaPACK programs written as C++, checked as they are
// written. docs/lambdapack.md explains the language and why it is embedded
// in C++ rather than parsed from text.
//
//   ProgramBuilder b("cholesky");
//   Expr n = b.Parameter("N");
//   Array a = b.Input("A"), l = b.Output("L"), s = b.Temporary("S", 3);
//   b.For("i", 0, n, [&](Expr i) {
//     b.If(i == 0, [&] { b.Call("chol", l(i, i), {a(i, i)}); },
//                  [&] { b.Call("chol", l(i, i), {s(i, i, i)}); });
//     ...
//   });
//   Program p = b.Build();
//
// Expressions are affine in loop variables and parameters with integer
// coefficients; a product of two non-constant expressions throws. Conditions
// are conjunctions of ==, <, <=, >, >= between expressions. Every mistake
// throws Error(kInvalidArgument) at the offending call, naming the program
// and what is wrong: a variable used outside its loop, an array of another
// builder, an unknown kernel, the wrong number of kernel arguments or
// indices, a write to an input array, a name declared twice, a loop
// variable shadowing another name, loops nested deeper than 8. Single
// assignment is checked when the program is bound (Program::Bind), where
// the sizes are known.
//
// Not thread-safe; one builder builds one program.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "linalg/program.h"

namespace tern::linalg {

// constant + sum of coefficient * variable; variables are ids unique in the
// process (loop variables and parameters).
class Expr {
 public:
  Expr(int64_t constant = 0) : constant_(constant) {}  // NOLINT: implicit
  static Expr Variable(uint64_t id);

  int64_t constant() const { return constant_; }
  // (variable id, coefficient), sorted by id, no zero coefficient.
  const std::vector<std::pair<uint64_t, int64_t>>& terms() const {
    return terms_;
  }
  bool IsConstant() const { return terms_.empty(); }

  friend Expr operator+(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a);
  // Throws Error(kInvalidArgument) unless one side is constant.
  friend Expr operator*(const Expr& a, const Expr& b);

 private:
  std::vector<std::pair<uint64_t, int64_t>> terms_;
  int64_t constant_;
};

// A conjunction of atoms `expr >= 0`.
struct Cond {
  std::vector<Expr> atoms;
};
Cond operator==(const Expr& a, const Expr& b);
Cond operator<(const Expr& a, const Expr& b);
Cond operator<=(const Expr& a, const Expr& b);
Cond operator>(const Expr& a, const Expr& b);
Cond operator>=(const Expr& a, const Expr& b);
Cond operator&&(const Cond& a, const Cond& b);

// An indexed block of an array, as written in a program.
struct Ref {
  uint64_t builder = 0;
  std::string array;
  std::vector<Expr> index;
};

// A handle to an array declared by a ProgramBuilder: a(i, j) is a Ref.
class Array {
 public:
  Array() = default;
  const std::string& name() const { return name_; }
  template <class... E>
  Ref operator()(const E&... index) const {
    return Ref{builder_, name_, {Expr(index)...}};
  }

 private:
  friend class ProgramBuilder;
  Array(uint64_t builder, std::string name)
      : builder_(builder), name_(std::move(name)) {}
  uint64_t builder_ = 0;
  std::string name_;
};

// What a builder produces; bound by Program::Bind (analysis.cc).
struct ArrayDef {
  enum class Kind { kInput, kOutput, kTemporary };
  std::string name;
  Kind kind;
  int dims;
};
struct RefDef {
  int array;                // index in ProgramDef::arrays
  std::vector<Expr> index;  // one per dimension
};
struct StatementDef {
  std::string kernel;
  std::vector<uint64_t> loop_vars;  // enclosing loops, outermost first
  std::vector<std::string> loop_names;
  std::vector<Expr> bounds;  // atoms >= 0 from the loop bounds
  // The enclosing ifs as disjoint conjunctions of atoms >= 0 (an else
  // branch negates a conjunction into several); {{}} when there is no if.
  std::vector<std::vector<Expr>> guard;
  RefDef output;
  std::vector<RefDef> inputs;
};
struct ProgramDef {
  std::string name;
  std::vector<std::pair<uint64_t, std::string>> parameters;
  std::vector<ArrayDef> arrays;
  std::vector<StatementDef> statements;
};

class ProgramBuilder {
 public:
  explicit ProgramBuilder(std::string name);
  ~ProgramBuilder();
  ProgramBuilder(const ProgramBuilder&) = delete;
  ProgramBuilder& operator=(const ProgramBuilder&) = delete;

  // A size parameter, bound by Program::Bind (in blocks, >= 0).
  Expr Parameter(const std::string& name);
  // A two-dimensional array only read: its blocks come from a BigMatrix
  // argument.
  Array Input(const std::string& name);
  // A two-dimensional result; each block written at most once.
  Array Output(const std::string& name);
  // An intermediate array of 1 to 8 dimensions, e.g. the versions
  // S[i, j, k] of a block.
  Array Temporary(const std::string& name, int dims);
  // A scalar definition: a named affine expression (checked in scope).
  Expr Let(const std::string& name, const Expr& value);

  // for var in range(lo, hi): body(var). lo and hi may use enclosing loop
  // variables and parameters.
  void For(const std::string& var, const Expr& lo, const Expr& hi,
           const std::function<void(Expr)>& body);
  // if cond: then_body() else: else_body() (optional).
  void If(const Cond& cond, const std::function<void()>& then_body,
          const std::function<void()>& else_body = {});
  // output = kernel(inputs...), a statement. See kKernels for the kernels.
  void Call(const std::string& kernel, const Ref& output,
            const std::vector<Ref>& inputs);

  // The program. The builder may not be used afterwards.
  Program Build();

 private:
  [[noreturn]] void Fail(const std::string& what) const;
  void CheckScope(const Expr& e, const std::string& where) const;
  int FindArray(const Ref& ref) const;
  Array AddArray(const std::string& name, ArrayDef::Kind kind, int dims);
  void Declare(const std::string& name);

  uint64_t id_;
  std::shared_ptr<ProgramDef> def_;
  struct Scope;
  std::unique_ptr<Scope> scope_;
};

}  // namespace tern::linalg
