#include "linalg/builder.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "linalg/affine.h"
#include "tern/errors.h"

namespace tern::linalg {
namespace {

// Ids unique in the process, so that a variable or array of one builder used
// in another is caught as unknown.
std::atomic<uint64_t> next_id{1};

// Number of inputs of each kernel of kKernels (the contract in program.h).
int KernelArity(const std::string& kernel) {
  static const std::map<std::string, int> arity = {
      {"chol", 1},     {"trsm", 2},    {"trsm_left", 2},
      {"syrk", 3},     {"gemm", 2},    {"gemm_acc", 3},
      {"gemm_sub", 3}, {"gemm_nt", 2}, {"gemm_nt_acc", 3}};
  auto it = arity.find(kernel);
  return it == arity.end() ? -1 : it->second;
}

std::string KnownKernels() {
  std::string out;
  for (std::string_view k : kKernels) {
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

// not (e >= 0)  is  -e - 1 >= 0.
Expr Negate(const Expr& atom) { return -atom - 1; }

}  // namespace

Expr Expr::Variable(uint64_t id) {
  Expr e;
  e.terms_.push_back({id, 1});
  return e;
}

Expr operator+(const Expr& a, const Expr& b) {
  Expr out(a.constant_ + b.constant_);
  std::map<uint64_t, int64_t> terms(a.terms_.begin(), a.terms_.end());
  for (auto [id, c] : b.terms_) terms[id] += c;
  for (auto [id, c] : terms) {
    if (c != 0) out.terms_.push_back({id, c});
  }
  return out;
}

Expr operator-(const Expr& a) {
  Expr out(-a.constant_);
  for (auto [id, c] : a.terms_) out.terms_.push_back({id, -c});
  return out;
}

Expr operator-(const Expr& a, const Expr& b) { return a + (-b); }

Expr operator*(const Expr& a, const Expr& b) {
  if (!a.IsConstant() && !b.IsConstant()) {
    throw Error(ErrorCode::kInvalidArgument,
                "non-affine expression: a product of two variables (only "
                "integer multiples of variables are allowed)");
  }
  const Expr& e = a.IsConstant() ? b : a;
  int64_t f = a.IsConstant() ? a.constant_ : b.constant_;
  Expr out(e.constant_ * f);
  if (f != 0) {
    for (auto [id, c] : e.terms_) out.terms_.push_back({id, c * f});
  }
  return out;
}

Cond operator>=(const Expr& a, const Expr& b) { return Cond{{a - b}}; }
Cond operator<=(const Expr& a, const Expr& b) { return Cond{{b - a}}; }
Cond operator>(const Expr& a, const Expr& b) { return Cond{{a - b - 1}}; }
Cond operator<(const Expr& a, const Expr& b) { return Cond{{b - a - 1}}; }
Cond operator==(const Expr& a, const Expr& b) { return Cond{{a - b, b - a}}; }
Cond operator&&(const Cond& a, const Cond& b) {
  Cond out = a;
  out.atoms.insert(out.atoms.end(), b.atoms.begin(), b.atoms.end());
  return out;
}

struct ProgramBuilder::Scope {
  std::map<uint64_t, std::string> names;  // every variable ever declared
  std::set<uint64_t> visible;             // parameters and enclosing loops
  std::vector<uint64_t> loops;
  std::vector<Expr> bounds;
  std::vector<std::vector<Expr>> guard{{}};
  std::set<std::string> declared;  // names of parameters, arrays, scalars
  bool built = false;
};

ProgramBuilder::ProgramBuilder(std::string name)
    : id_(next_id++),
      def_(std::make_shared<ProgramDef>()),
      scope_(std::make_unique<Scope>()) {
  def_->name = std::move(name);
}

ProgramBuilder::~ProgramBuilder() = default;

void ProgramBuilder::Fail(const std::string& what) const {
  throw Error(ErrorCode::kInvalidArgument,
              "program " + def_->name + ": " + what);
}

void ProgramBuilder::Declare(const std::string& name) {
  if (scope_->built) Fail("the builder was already built");
  if (name.empty()) Fail("an empty name");
  if (!scope_->declared.insert(name).second) {
    Fail("'" + name + "' is declared twice");
  }
}

Expr ProgramBuilder::Parameter(const std::string& name) {
  Declare(name);
  uint64_t id = next_id++;
  scope_->names[id] = name;
  scope_->visible.insert(id);
  def_->parameters.push_back({id, name});
  return Expr::Variable(id);
}

Array ProgramBuilder::AddArray(const std::string& name, ArrayDef::Kind kind,
                               int dims) {
  Declare(name);
  if (dims < 1 || dims > kMaxVariables / 2) {
    Fail("array " + name + " has " + std::to_string(dims) +
         " dimensions; 1 to " + std::to_string(kMaxVariables / 2) +
         " are allowed");
  }
  def_->arrays.push_back({name, kind, dims});
  return Array(id_, name);
}

Array ProgramBuilder::Input(const std::string& name) {
  return AddArray(name, ArrayDef::Kind::kInput, 2);
}

Array ProgramBuilder::Output(const std::string& name) {
  return AddArray(name, ArrayDef::Kind::kOutput, 2);
}

Array ProgramBuilder::Temporary(const std::string& name, int dims) {
  return AddArray(name, ArrayDef::Kind::kTemporary, dims);
}

Expr ProgramBuilder::Let(const std::string& name, const Expr& value) {
  Declare(name);
  CheckScope(value, "the definition of " + name);
  return value;
}

void ProgramBuilder::CheckScope(const Expr& e, const std::string& where) const {
  for (auto [id, c] : e.terms()) {
    if (scope_->visible.count(id)) continue;
    auto it = scope_->names.find(id);
    Fail(it == scope_->names.end()
             ? "unknown variable in " + where + " (not of this program)"
             : "unknown variable '" + it->second + "' in " + where +
                   " (used outside its loop)");
  }
}

void ProgramBuilder::For(const std::string& var, const Expr& lo, const Expr& hi,
                         const std::function<void(Expr)>& body) {
  if (scope_->built) Fail("the builder was already built");
  CheckScope(lo, "the lower bound of loop " + var);
  CheckScope(hi, "the upper bound of loop " + var);
  for (uint64_t id : scope_->loops) {
    if (scope_->names[id] == var) Fail("loop variable '" + var + "' shadows");
  }
  if (scope_->declared.count(var)) Fail("loop variable '" + var + "' shadows");
  uint64_t id = next_id++;
  Expr v = Expr::Variable(id);
  scope_->names[id] = var;
  scope_->visible.insert(id);
  scope_->loops.push_back(id);
  scope_->bounds.push_back(v - lo);
  scope_->bounds.push_back(hi - v - 1);
  body(v);
  scope_->bounds.resize(scope_->bounds.size() - 2);
  scope_->loops.pop_back();
  scope_->visible.erase(id);
}

void ProgramBuilder::If(const Cond& cond,
                        const std::function<void()>& then_body,
                        const std::function<void()>& else_body) {
  if (scope_->built) Fail("the builder was already built");
  for (const Expr& atom : cond.atoms) CheckScope(atom, "a condition");
  std::vector<std::vector<Expr>> outer = scope_->guard;
  scope_->guard.clear();
  for (auto conj : outer) {
    conj.insert(conj.end(), cond.atoms.begin(), cond.atoms.end());
    scope_->guard.push_back(conj);
  }
  if (then_body) then_body();
  // not (a1 and ... and an) = not a1, or a1 and not a2, or ...: disjoint, so
  // that a solution is never found twice.
  scope_->guard.clear();
  for (const auto& conj : outer) {
    for (size_t i = 0; i < cond.atoms.size(); ++i) {
      std::vector<Expr> d = conj;
      d.insert(d.end(), cond.atoms.begin(), cond.atoms.begin() + i);
      d.push_back(Negate(cond.atoms[i]));
      scope_->guard.push_back(d);
    }
  }
  if (else_body) else_body();
  scope_->guard = outer;
}

int ProgramBuilder::FindArray(const Ref& ref) const {
  for (size_t a = 0; a < def_->arrays.size(); ++a) {
    if (def_->arrays[a].name == ref.array && ref.builder == id_) {
      const ArrayDef& array = def_->arrays[a];
      if (static_cast<int>(ref.index.size()) != array.dims) {
        Fail("array " + array.name + " has " + std::to_string(array.dims) +
             " dimensions, indexed with " + std::to_string(ref.index.size()));
      }
      for (const Expr& e : ref.index) {
        CheckScope(e, "an index of " + array.name);
      }
      return static_cast<int>(a);
    }
  }
  Fail("unknown array '" + ref.array + "' (not declared by this program)");
}

void ProgramBuilder::Call(const std::string& kernel, const Ref& output,
                          const std::vector<Ref>& inputs) {
  if (scope_->built) Fail("the builder was already built");
  int arity = KernelArity(kernel);
  if (arity < 0) {
    Fail("unknown kernel '" + kernel + "' (known: " + KnownKernels() + ")");
  }
  if (static_cast<int>(inputs.size()) != arity) {
    Fail("kernel " + kernel + " takes " + std::to_string(arity) +
         " inputs, given " + std::to_string(inputs.size()));
  }
  if (scope_->loops.size() > kMaxVariables / 2) {
    Fail("loops nested deeper than " + std::to_string(kMaxVariables / 2));
  }
  StatementDef s;
  s.kernel = kernel;
  s.loop_vars = scope_->loops;
  for (uint64_t id : s.loop_vars) s.loop_names.push_back(scope_->names[id]);
  s.bounds = scope_->bounds;
  s.guard = scope_->guard;
  s.output = {FindArray(output), output.index};
  if (def_->arrays[s.output.array].kind == ArrayDef::Kind::kInput) {
    Fail("statement " + std::to_string(def_->statements.size()) + " (" +
         kernel + ") writes input array " + output.array);
  }
  for (const Ref& in : inputs) s.inputs.push_back({FindArray(in), in.index});
  def_->statements.push_back(std::move(s));
}

Program ProgramBuilder::Build() {
  if (scope_->built) Fail("the builder was already built");
  scope_->built = true;
  return Program(def_);
}

}  // namespace tern::linalg
