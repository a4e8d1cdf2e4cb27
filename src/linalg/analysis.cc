// The lazy dependency analysis of a bound program (docs/lambdapack.md).
//
// Binding a program turns every index, loop bound and condition into integer
// matrices over the statement's loop variables, and builds one AffineSolver
// per (statement, block reference, domain piece): "which instances of this
// statement access block b through this reference?". A children query takes
// the blocks a task writes and asks the solvers of every reference that reads
// the same array; a parents query does the same with the writers of the
// blocks a task reads. Nothing is ever unrolled.
#include "linalg/analysis.h"

#include <algorithm>

#include "linalg/affine.h"
#include "tern/errors.h"

namespace tern::linalg {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

// index = e w + c over a statement's loop variables w.
struct BoundRef {
  int array = 0;
  IntMatrix e;
  std::vector<int64_t> c;
};

// One piece of a statement's iteration domain: g w + k >= 0.
struct Domain {
  IntMatrix g;
  std::vector<int64_t> k;
};

struct BoundStatement {
  const StatementDef* def = nullptr;
  int depth = 0;
  std::vector<BoundRef> refs;  // refs[0] the output, then the inputs
  std::vector<Domain> domains;
  // solvers[r][d]: instances of domain d whose ref r is a given block.
  std::vector<std::vector<AffineSolver>> solvers;
  std::vector<AffineSolver> whole;  // per domain: every instance
  // The writers of block b, when the output's index map has unit pivots
  // (AffineSolver::Parametrize): out_x (b - c) + out_free f for integer f,
  // if out_c (b - c) = 0.
  bool parametrized = false;
  int free = 0;  // columns of out_free
  IntMatrix out_x, out_free, out_c;
};

// Any conjunction g w + k >= 0 over a statement's loop variables.
using Piece = Domain;

// A statement's reference to an array (ref 0 writes, the others read).
struct Access {
  int statement;
  int ref;
};

using Block = std::array<int64_t, kMaxVariables>;

// Answers of one solver come in order; sorting is needed only when several
// contributed (a Cholesky chol has N - 1 children, all from one).
void SortUnique(std::vector<Task>* tasks) {
  if (!std::is_sorted(tasks->begin(), tasks->end())) {
    std::sort(tasks->begin(), tasks->end());
  }
  tasks->erase(std::unique(tasks->begin(), tasks->end()), tasks->end());
}

class Bound final : public BoundProgram {
 public:
  Bound(std::shared_ptr<const ProgramDef> def,
        const std::map<uint64_t, int64_t>& values);

  std::vector<Task> Starters() const override;
  uint64_t TaskCount() const override;
  std::vector<Task> Children(const Task& task) const override;
  std::vector<Task> Parents(const Task& task) const override;
  KernelCall Call(const Task& task) const override;
  std::string Describe(const Task& task) const override;

 private:
  // Throws unless `task` is an instance of the program.
  void Check(const Task& task) const;
  bool InDomain(const BoundStatement& s, const int64_t* w) const;
  int Dims(const BoundRef& ref) const;
  void BlockOf(const BoundRef& ref, const int64_t* w, Block* b) const;
  BlockRef ToBlockRef(const BoundRef& ref, const Task& task) const;
  // Calls f(w) for the loop values w of each instance accessing block b
  // through `access`, until f returns false; false if f stopped it.
  template <class F>
  bool Accessors(const Access& access, const Block& b, F&& f) const;
  // Appends the accessors to `out`, except `self`.
  void AppendAccessors(const Access& access, const Block& b, const Task& self,
                       std::vector<Task>* out) const;
  // Parents(task) is not empty; stops at the first parent.
  bool HasParents(const Task& task) const;
  // True if every instance of domain d of statement s provably has a parent.
  bool Covered(int s, int d) const;
  // The instances w of `reader` whose read `r` has a writer among domain d
  // of `writer`, as a conjunction over w; false if that cannot be written
  // exactly so (pivots not units, more than one free direction or one with
  // a coefficient other than 1 or -1), or if the writer could be the reader
  // itself.
  bool Preimage(int reader, int r, int writer, int d, Piece* pre) const;
  void CheckSingleAssignment() const;
  void CheckPair(int s1, int s2) const;
  std::string At(int statement, const int64_t* w) const;

  std::shared_ptr<const ProgramDef> def_;
  std::vector<BoundStatement> statements_;
  std::vector<std::vector<Access>> readers_, writers_;  // per array
};

// Row of coefficients over `loops` and the constant, parameters substituted.
void Linearize(const Expr& e, const std::vector<uint64_t>& loops,
               const std::map<uint64_t, int64_t>& values,
               std::vector<int64_t>* row, int64_t* constant) {
  row->assign(loops.size(), 0);
  *constant = e.constant();
  for (auto [id, c] : e.terms()) {
    auto p = values.find(id);
    if (p != values.end()) {
      *constant += c * p->second;
      continue;
    }
    auto l = std::find(loops.begin(), loops.end(), id);
    (*row)[l - loops.begin()] += c;
  }
}

BoundRef BindRef(const RefDef& ref, const std::vector<uint64_t>& loops,
                 const std::map<uint64_t, int64_t>& values) {
  BoundRef out;
  out.array = ref.array;
  for (const Expr& e : ref.index) {
    out.e.emplace_back();
    out.c.emplace_back();
    Linearize(e, loops, values, &out.e.back(), &out.c.back());
  }
  return out;
}

Bound::Bound(std::shared_ptr<const ProgramDef> def,
             const std::map<uint64_t, int64_t>& values)
    : def_(std::move(def)),
      readers_(def_->arrays.size()),
      writers_(def_->arrays.size()) {
  for (const StatementDef& sd : def_->statements) {
    BoundStatement s;
    s.def = &sd;
    s.depth = static_cast<int>(sd.loop_vars.size());
    s.refs.push_back(BindRef(sd.output, sd.loop_vars, values));
    for (const RefDef& in : sd.inputs) {
      s.refs.push_back(BindRef(in, sd.loop_vars, values));
    }
    for (const auto& conj : sd.guard) {
      Domain d;
      std::vector<Expr> atoms = sd.bounds;
      atoms.insert(atoms.end(), conj.begin(), conj.end());
      for (const Expr& atom : atoms) {
        d.g.emplace_back();
        d.k.emplace_back();
        Linearize(atom, sd.loop_vars, values, &d.g.back(), &d.k.back());
      }
      // An else branch makes pieces such as k < 0 inside k >= 0: dropped
      // once here rather than solved on every query.
      if (ProvablyEmpty(s.depth, d.g, d.k)) continue;
      s.whole.emplace_back(s.depth, IntMatrix{}, d.g, d.k);
      s.domains.push_back(std::move(d));
    }
    for (const BoundRef& ref : s.refs) {
      s.solvers.emplace_back();
      for (const Domain& d : s.domains) {
        s.solvers.back().emplace_back(s.depth, ref.e, d.g, d.k);
      }
    }
    s.parametrized = AffineSolver(s.depth, s.refs[0].e, {}, {})
                         .Parametrize(&s.out_x, &s.out_free, &s.out_c);
    s.free = s.depth == 0 ? 0 : static_cast<int>(s.out_free[0].size());
    int index = static_cast<int>(statements_.size());
    writers_[s.refs[0].array].push_back({index, 0});
    for (size_t r = 1; r < s.refs.size(); ++r) {
      readers_[s.refs[r].array].push_back({index, static_cast<int>(r)});
    }
    statements_.push_back(std::move(s));
  }
  CheckSingleAssignment();
}

int Bound::Dims(const BoundRef& ref) const {
  return static_cast<int>(ref.c.size());
}

void Bound::BlockOf(const BoundRef& ref, const int64_t* w, Block* b) const {
  for (int i = 0; i < Dims(ref); ++i) {
    int64_t v = ref.c[i];
    for (size_t l = 0; l < ref.e[i].size(); ++l) v += ref.e[i][l] * w[l];
    (*b)[i] = v;
  }
}

bool Bound::InDomain(const BoundStatement& s, const int64_t* w) const {
  for (const Domain& d : s.domains) {
    bool in = true;
    for (size_t r = 0; r < d.g.size() && in; ++r) {
      int64_t v = d.k[r];
      for (int l = 0; l < s.depth; ++l) v += d.g[r][l] * w[l];
      in = v >= 0;
    }
    if (in) return true;
  }
  return false;
}

void Bound::Check(const Task& task) const {
  if (task.statement < 0 ||
      task.statement >= static_cast<int>(statements_.size())) {
    Invalid("program " + def_->name + ": no statement " +
            std::to_string(task.statement) + " (task " + task.Key() + ")");
  }
  const BoundStatement& s = statements_[task.statement];
  if (static_cast<int>(task.loop.size()) != s.depth ||
      !InDomain(s, task.loop.data())) {
    Invalid("program " + def_->name + ": task " + task.Key() +
            " is not an instance of statement " +
            std::to_string(task.statement) + " (" + s.def->kernel + ")");
  }
}

template <class F>
bool Bound::Accessors(const Access& access, const Block& b, F&& f) const {
  const BoundStatement& s = statements_[access.statement];
  const BoundRef& ref = s.refs[access.ref];
  Block rhs;
  for (int i = 0; i < Dims(ref); ++i) rhs[i] = b[i] - ref.c[i];
  for (const AffineSolver& solver : s.solvers[access.ref]) {
    if (!solver.ForEach(rhs.data(), f)) return false;
  }
  return true;
}

void Bound::AppendAccessors(const Access& access, const Block& b,
                            const Task& self, std::vector<Task>* out) const {
  int depth = statements_[access.statement].depth;
  Accessors(access, b, [&](const int64_t* w) {
    Task t{access.statement, std::vector<int64_t>(w, w + depth)};
    if (t != self) out->push_back(std::move(t));
    return true;
  });
}

std::vector<Task> Bound::Children(const Task& task) const {
  Check(task);
  const BoundRef& out = statements_[task.statement].refs[0];
  Block b;
  BlockOf(out, task.loop.data(), &b);
  std::vector<Task> children;
  for (const Access& a : readers_[out.array]) {
    if (Dims(statements_[a.statement].refs[a.ref]) == Dims(out)) {
      AppendAccessors(a, b, task, &children);
    }
  }
  SortUnique(&children);
  return children;
}

std::vector<Task> Bound::Parents(const Task& task) const {
  Check(task);
  const BoundStatement& s = statements_[task.statement];
  std::vector<Task> parents;
  for (size_t r = 1; r < s.refs.size(); ++r) {
    Block b;
    BlockOf(s.refs[r], task.loop.data(), &b);
    for (const Access& a : writers_[s.refs[r].array]) {
      AppendAccessors(a, b, task, &parents);
    }
  }
  SortUnique(&parents);
  return parents;
}

bool Bound::HasParents(const Task& task) const {
  const BoundStatement& s = statements_[task.statement];
  for (size_t r = 1; r < s.refs.size(); ++r) {
    Block b;
    BlockOf(s.refs[r], task.loop.data(), &b);
    for (const Access& a : writers_[s.refs[r].array]) {
      bool none = Accessors(a, b, [&](const int64_t* w) {  // all self
        return a.statement == task.statement &&
               std::equal(w, w + s.depth, task.loop.begin());
      });
      if (!none) return true;
    }
  }
  return false;
}

// Starters without walking the DAG: a domain piece whose reads are all of
// input arrays starts whole; one that provably always has a parent
// contributes nothing; only the rest (none in the shipped programs) is
// enumerated and asked for parents.
std::vector<Task> Bound::Starters() const {
  std::vector<Task> starters;
  for (size_t i = 0; i < statements_.size(); ++i) {
    const BoundStatement& s = statements_[i];
    bool reads_written = false;
    for (size_t r = 1; r < s.refs.size(); ++r) {
      reads_written |= !writers_[s.refs[r].array].empty();
    }
    for (size_t d = 0; d < s.domains.size(); ++d) {
      if (reads_written && Covered(static_cast<int>(i), static_cast<int>(d))) {
        continue;
      }
      s.whole[d].ForEach(nullptr, [&](const int64_t* w) {
        Task t{static_cast<int>(i), std::vector<int64_t>(w, w + s.depth)};
        if (!reads_written || !HasParents(t)) starters.push_back(std::move(t));
        return true;
      });
    }
  }
  std::sort(starters.begin(), starters.end());
  return starters;
}

namespace {

// `pieces` minus the conjunction `pre`: each piece splits into the disjoint
// parts "atoms 0..i-1 of pre hold, atom i does not"; provably empty parts
// are dropped.
std::vector<Piece> Subtract(int n, const std::vector<Piece>& pieces,
                            const Piece& pre) {
  std::vector<Piece> out;
  for (Piece prefix : pieces) {
    for (size_t a = 0; a < pre.g.size(); ++a) {
      Piece part = prefix;
      part.g.push_back(pre.g[a]);
      for (int64_t& c : part.g.back()) c = -c;
      part.k.push_back(-pre.k[a] - 1);
      if (!ProvablyEmpty(n, part.g, part.k)) out.push_back(std::move(part));
      prefix.g.push_back(pre.g[a]);
      prefix.k.push_back(pre.k[a]);
      if (ProvablyEmpty(n, prefix.g, prefix.k)) break;
    }
  }
  return out;
}

}  // namespace

bool Bound::Preimage(int reader, int r, int writer, int d, Piece* pre) const {
  const BoundStatement& s = statements_[reader];
  const BoundStatement& w = statements_[writer];
  const BoundRef& read = s.refs[r];
  const BoundRef& out = w.refs[0];
  if (!w.parametrized || w.free > 1 || Dims(read) != Dims(out)) return false;
  if (writer == reader && w.free > 0) return false;
  // rhs(w) = E_r w + c_r - c_out, one affine row per index.
  int m = Dims(read), n = s.depth;
  auto apply = [&](const std::vector<int64_t>& f, std::vector<int64_t>* row,
                   int64_t* constant) {
    row->assign(n, 0);
    *constant = 0;
    for (int t = 0; t < m; ++t) {
      for (int l = 0; l < n; ++l) (*row)[l] += f[t] * read.e[t][l];
      *constant += f[t] * (read.c[t] - out.c[t]);
    }
  };
  Piece p;
  for (const auto& f : w.out_c) {  // C rhs(w) = 0
    std::vector<int64_t> row;
    int64_t constant;
    apply(f, &row, &constant);
    p.g.push_back(row);
    p.k.push_back(constant);
    for (int64_t& c : row) c = -c;
    p.g.push_back(row);
    p.k.push_back(-constant);
  }
  IntMatrix x(w.depth);  // the writer's loop values, affine in w (+ F f)
  std::vector<int64_t> x0(w.depth);
  for (int i = 0; i < w.depth; ++i) apply(w.out_x[i], &x[i], &x0[i]);
  if (writer == reader) {  // never its own parent: x(w) - w a nonzero shift
    bool shift = false;
    for (int i = 0; i < n; ++i) {
      for (int l = 0; l < n; ++l) {
        if (x[i][l] != (i == l ? 1 : 0)) return false;
      }
      shift |= x0[i] != 0;
    }
    if (!shift) return false;
  }
  // g (x(w) + F f) + k >= 0: rows without f go in as they are; with one
  // free f of coefficient +-1, each is a bound f >= -P(w) or f <= Q(w), and
  // an integer f exists exactly when every P + Q >= 0.
  const Domain& dom = w.domains[d];
  Piece lower, upper;
  for (size_t q = 0; q < dom.g.size(); ++q) {
    std::vector<int64_t> row(n, 0);
    int64_t constant = dom.k[q], a = 0;
    for (int i = 0; i < w.depth; ++i) {
      for (int l = 0; l < n; ++l) row[l] += dom.g[q][i] * x[i][l];
      constant += dom.g[q][i] * x0[i];
      if (w.free == 1) a += dom.g[q][i] * w.out_free[i][0];
    }
    if (a != 0 && a != 1 && a != -1) return false;
    Piece& to = a == 0 ? p : a == 1 ? lower : upper;
    to.g.push_back(row);
    to.k.push_back(constant);
  }
  for (size_t i = 0; i < lower.g.size(); ++i) {
    for (size_t j = 0; j < upper.g.size(); ++j) {
      std::vector<int64_t> row(n);
      for (int l = 0; l < n; ++l) row[l] = lower.g[i][l] + upper.g[j][l];
      p.g.push_back(row);
      p.k.push_back(lower.k[i] + upper.k[j]);
    }
  }
  *pre = std::move(p);
  return true;
}

bool Bound::Covered(int si, int di) const {
  const BoundStatement& s = statements_[si];
  for (size_t r = 1; r < s.refs.size(); ++r) {
    std::vector<Piece> left{{s.domains[di].g, s.domains[di].k}};
    for (const Access& a : writers_[s.refs[r].array]) {
      for (size_t d = 0; d < statements_[a.statement].domains.size(); ++d) {
        Piece pre;
        if (Preimage(si, static_cast<int>(r), a.statement, static_cast<int>(d),
                     &pre)) {
          left = Subtract(s.depth, left, pre);
        }
      }
    }
    if (left.empty()) return true;
  }
  return false;
}

uint64_t Bound::TaskCount() const {
  uint64_t count = 0;
  for (const BoundStatement& s : statements_) {
    for (const AffineSolver& whole : s.whole) count += whole.Count(nullptr);
  }
  return count;
}

BlockRef Bound::ToBlockRef(const BoundRef& ref, const Task& task) const {
  Block b;
  BlockOf(ref, task.loop.data(), &b);
  return BlockRef{def_->arrays[ref.array].name,
                  std::vector<int64_t>(b.begin(), b.begin() + Dims(ref))};
}

KernelCall Bound::Call(const Task& task) const {
  Check(task);
  const BoundStatement& s = statements_[task.statement];
  KernelCall call;
  call.kernel = s.def->kernel;
  call.outputs.push_back(ToBlockRef(s.refs[0], task));
  for (size_t r = 1; r < s.refs.size(); ++r) {
    call.inputs.push_back(ToBlockRef(s.refs[r], task));
  }
  return call;
}

std::string Bound::At(int statement, const int64_t* w) const {
  const BoundStatement& s = statements_[statement];
  std::string out =
      "statement " + std::to_string(statement) + " (" + s.def->kernel + ")";
  for (int l = 0; l < s.depth; ++l) {
    out += (l == 0 ? " at " : ", ") + s.def->loop_names[l] + "=" +
           std::to_string(w[l]);
  }
  return out;
}

std::string Bound::Describe(const Task& task) const {
  if (task.statement < 0 ||
      task.statement >= static_cast<int>(statements_.size()) ||
      static_cast<int>(task.loop.size()) != statements_[task.statement].depth) {
    return def_->name + ": task " + task.Key() + " (not an instance)";
  }
  return def_->name + ": " + At(task.statement, task.loop.data());
}

void Bound::CheckSingleAssignment() const {
  for (size_t s1 = 0; s1 < statements_.size(); ++s1) {
    for (size_t s2 = s1; s2 < statements_.size(); ++s2) {
      if (statements_[s1].refs[0].array == statements_[s2].refs[0].array) {
        CheckPair(static_cast<int>(s1), static_cast<int>(s2));
      }
    }
  }
}

// Do two distinct instances of s1 and s2 write the same block? The pair of
// instances (w1, w2) is one point of a system over both loop nests:
// E1 w1 + c1 = E2 w2 + c2, both in their domains; for s1 == s2 in the same
// domain piece, also w1 lexicographically after w2 (each way of differing
// first at loop l is its own system).
void Bound::CheckPair(int s1, int s2) const {
  const BoundStatement& a = statements_[s1];
  const BoundStatement& b = statements_[s2];
  const BoundRef& ra = a.refs[0];
  const BoundRef& rb = b.refs[0];
  if (Dims(ra) != Dims(rb)) return;
  int n = a.depth + b.depth;
  for (size_t da = 0; da < a.domains.size(); ++da) {
    for (size_t db = (s1 == s2 ? da : 0); db < b.domains.size(); ++db) {
      IntMatrix e, g;
      std::vector<int64_t> rhs, k;
      for (int i = 0; i < Dims(ra); ++i) {
        std::vector<int64_t> row(ra.e[i]);
        for (int64_t c : rb.e[i]) row.push_back(-c);
        e.push_back(row);
        rhs.push_back(rb.c[i] - ra.c[i]);
      }
      auto add = [&](const Domain& d, int offset) {
        for (size_t r = 0; r < d.g.size(); ++r) {
          std::vector<int64_t> row(n, 0);
          std::copy(d.g[r].begin(), d.g[r].end(), row.begin() + offset);
          g.push_back(row);
          k.push_back(d.k[r]);
        }
      };
      add(a.domains[da], 0);
      add(b.domains[db], a.depth);
      bool same = s1 == s2 && da == db;
      for (int first = 0; first < (same ? a.depth : 1); ++first) {
        IntMatrix e2 = e, g2 = g;
        std::vector<int64_t> rhs2 = rhs, k2 = k;
        if (same) {
          for (int l = 0; l <= first; ++l) {
            std::vector<int64_t> row(n, 0);
            row[l] = 1;
            row[a.depth + l] = -1;
            if (l < first) {
              e2.push_back(row);
              rhs2.push_back(0);
            } else {
              g2.push_back(row);
              k2.push_back(-1);
            }
          }
        }
        AffineSolver solver(n, e2, g2, k2);
        solver.ForEach(rhs2.data(), [&](const int64_t* w) {
          Block blk;
          BlockOf(ra, w, &blk);
          std::string name = def_->arrays[ra.array].name + "[";
          for (int i = 0; i < Dims(ra); ++i) {
            name += (i ? "," : "") + std::to_string(blk[i]);
          }
          Invalid("program " + def_->name + ": block " + name +
                  "] is written by " + At(s1, w) + " and by " +
                  At(s2, w + a.depth) + " (every block version must be " +
                  "assigned once)");
          return false;
        });
      }
    }
  }
}

}  // namespace

std::shared_ptr<const BoundProgram> Analyze(
    std::shared_ptr<const ProgramDef> def,
    const std::map<uint64_t, int64_t>& values) {
  return std::make_shared<Bound>(std::move(def), values);
}

}  // namespace tern::linalg
