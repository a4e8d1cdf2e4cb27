// Integer affine systems, solved in closed form: the arithmetic under the
// lazy dependency analysis of analysis.cc.
//
// An AffineSolver answers "which integer points x satisfy E x = rhs and
// G x + g >= 0?" for a fixed E, G, g and an rhs given per query. Everything
// that does not depend on rhs is done once, in the constructor:
//   - E is brought to column echelon form H = E U by unimodular column
//     operations (an integer Gaussian elimination, the column Hermite form).
//     Substituting x = U z, the pivot coordinates of z follow from rhs by
//     forward substitution (with divisibility checks); the others are free.
//   - The inequalities, rewritten over the free coordinates, are projected
//     by Fourier-Motzkin elimination, so that each free coordinate has bounds
//     in terms of the coordinates before it. Each projected inequality
//     remembers which originals it combines, so that its constant is
//     recomputed per query from the originals' constants.
// A query then walks only the solutions (plus, where rational bounds are
// looser than integer ones, empty ranges): its cost is independent of the
// size of the iteration space the inequalities describe.
//
// Thread-safe: const after construction.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace tern::linalg {

// The most variables one system may have (two loop nests of eight).
inline constexpr int kMaxVariables = 16;

using IntMatrix = std::vector<std::vector<int64_t>>;  // rows

// Integer points of { y : C y + K >= 0 }, C fixed, K given per query.
class Polyhedron {
 public:
  // `coef` has one row per inequality, each with `dims` entries.
  Polyhedron(int dims, const IntMatrix& coef);

  int dims() const { return dims_; }

  // Calls f(y) (a const int64_t* of dims() entries) for every integer point,
  // in lexicographic order, until f returns false. `constants` has one entry
  // per inequality given to the constructor. Returns false if f stopped it.
  // Throws Error(kInvalidArgument) if a coordinate is unbounded.
  template <class F>
  bool ForEach(const int64_t* constants, F&& f) const;

  // The number of integer points; the innermost coordinate is counted in
  // closed form.
  uint64_t Count(const int64_t* constants) const;

 private:
  struct Row {
    std::vector<int64_t> coef;                     // dims_ entries
    std::vector<std::pair<int, int64_t>> weights;  // original row, factor
  };
  using Values = std::array<int64_t, kMaxVariables>;

  // Derived constants of every row from the originals'.
  void Constants(const int64_t* originals, std::vector<int64_t>* out) const;
  // Bounds of coordinate `level` given y[0..level); false if empty.
  bool Range(int level, const Values& y, const std::vector<int64_t>& k,
             int64_t* lo, int64_t* hi) const;
  template <class F>
  bool Walk(int level, Values& y, const std::vector<int64_t>& k, F& f) const;

  int dims_;
  std::vector<Row> rows_;                // all rows, derived ones included
  std::vector<int> feasibility_;         // rows with no variable
  std::vector<std::vector<int>> level_;  // rows whose last variable is l
};

// Integer solutions x of E x = rhs, G x + g >= 0.
class AffineSolver {
 public:
  // E: m rows of n entries (m may be 0); G: rows of n entries; g: one per G
  // row. REQUIRES: n <= kMaxVariables.
  AffineSolver(int n, const IntMatrix& e, const IntMatrix& g_coef,
               const std::vector<int64_t>& g_const);

  // Calls f(x) for every solution (x: const int64_t* of n entries) until f
  // returns false; returns false if f stopped it. `rhs` has m entries.
  template <class F>
  bool ForEach(const int64_t* rhs, F&& f) const;

  uint64_t Count(const int64_t* rhs) const;

  // Every solution of E x = rhs as an affine function of rhs, when the
  // echelon form has unit pivots (so that integral rhs give integral x): the
  // solutions are x = X rhs + F f for every integer vector f, if C rhs = 0,
  // and there are none otherwise. Fills X (n x m), F (n x free) and C
  // (rows x m); false if a pivot is not 1 or -1.
  bool Parametrize(IntMatrix* x, IntMatrix* free, IntMatrix* c) const;

 private:
  // Pivot coordinates of z from rhs; false if E x = rhs has no integer
  // solution. Fills x0 = U_pivot z_pivot and the polyhedron's constants.
  bool Particular(const int64_t* rhs, int64_t* x0,
                  std::vector<int64_t>* constants) const;

  int n_;
  int rank_ = 0;
  IntMatrix h_;             // E U, column echelon form
  std::vector<int> pivot_;  // per row of h_: its pivot column, or -1
  IntMatrix u_;             // n x n unimodular
  IntMatrix g_coef_;        // G
  std::vector<int64_t> g_const_;
  Polyhedron free_;  // over z[rank_..n)
};

// True if { x in Z^n : G x + k >= 0 } is empty, by Fourier-Motzkin with
// integer tightening (c x + k >= 0 becomes (c / g) x + floor(k / g) >= 0).
// False when it is not empty, and possibly for an empty set whose emptiness
// needs more than that: a proof, not a decision.
bool ProvablyEmpty(int n, const IntMatrix& g, const std::vector<int64_t>& k);

// ---- Implementation of the templates ----

template <class F>
bool Polyhedron::ForEach(const int64_t* constants, F&& f) const {
  std::vector<int64_t> k;
  Constants(constants, &k);
  for (int row : feasibility_) {
    if (k[row] < 0) return true;
  }
  Values y{};
  return Walk(0, y, k, f);
}

template <class F>
bool Polyhedron::Walk(int level, Values& y, const std::vector<int64_t>& k,
                      F& f) const {
  if (level == dims_) return f(static_cast<const int64_t*>(y.data()));
  int64_t lo, hi;
  if (!Range(level, y, k, &lo, &hi)) return true;
  for (int64_t v = lo; v <= hi; ++v) {
    y[level] = v;
    if (!Walk(level + 1, y, k, f)) return false;
  }
  return true;
}

template <class F>
bool AffineSolver::ForEach(const int64_t* rhs, F&& f) const {
  std::array<int64_t, kMaxVariables> x0{}, x{};
  std::vector<int64_t> constants;
  if (!Particular(rhs, x0.data(), &constants)) return true;
  return free_.ForEach(constants.data(), [&](const int64_t* z) {
    for (int i = 0; i < n_; ++i) {
      int64_t v = x0[i];
      for (int j = rank_; j < n_; ++j) v += u_[i][j] * z[j - rank_];
      x[i] = v;
    }
    return f(static_cast<const int64_t*>(x.data()));
  });
}

}  // namespace tern::linalg
