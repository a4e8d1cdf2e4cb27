#include "linalg/affine.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

#include "tern/errors.h"

namespace tern::linalg {
namespace {

constexpr int64_t kNoBound = std::numeric_limits<int64_t>::max();
// Fourier-Motzkin can grow quadratically per eliminated variable; programs
// of a few nested loops stay far below this.
constexpr size_t kMaxRows = 20000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

// g = gcd(a, b) > 0 and a x + b y = g; REQUIRES a or b nonzero.
void ExtendedGcd(int64_t a, int64_t b, int64_t* g, int64_t* x, int64_t* y) {
  int64_t old_r = a, r = b, old_s = 1, s = 0, old_t = 0, t = 1;
  while (r != 0) {
    int64_t q = old_r / r;
    std::tie(old_r, r) = std::make_pair(r, old_r - q * r);
    std::tie(old_s, s) = std::make_pair(s, old_s - q * s);
    std::tie(old_t, t) = std::make_pair(t, old_t - q * t);
  }
  if (old_r < 0) old_r = -old_r, old_s = -old_s, old_t = -old_t;
  *g = old_r, *x = old_s, *y = old_t;
}

// Columns p, q of m (rows x cols) := (x P + y Q, c P + d Q).
void CombineColumns(IntMatrix* m, int p, int q, int64_t x, int64_t y, int64_t c,
                    int64_t d) {
  for (auto& row : *m) {
    int64_t a = row[p], b = row[q];
    row[p] = x * a + y * b;
    row[q] = c * a + d * b;
  }
}

}  // namespace

Polyhedron::Polyhedron(int dims, const IntMatrix& coef)
    : dims_(dims), level_(dims) {
  std::vector<int> current;
  for (size_t i = 0; i < coef.size(); ++i) {
    rows_.push_back({coef[i], {{static_cast<int>(i), 1}}});
    current.push_back(static_cast<int>(i));
  }
  for (int l = dims - 1; l >= 0; --l) {
    std::vector<int> next, lower, upper;
    for (int r : current) {
      int64_t a = rows_[r].coef[l];
      (a > 0 ? lower : a < 0 ? upper : next).push_back(r);
    }
    level_[l] = lower;
    level_[l].insert(level_[l].end(), upper.begin(), upper.end());
    for (int p : lower) {
      for (int q : upper) {
        // -a_q * row_p + a_p * row_q cancels variable l; both factors > 0.
        int64_t fp = -rows_[q].coef[l], fq = rows_[p].coef[l];
        Row row{std::vector<int64_t>(dims, 0), {}};
        for (int j = 0; j < dims; ++j)
          row.coef[j] = fp * rows_[p].coef[j] + fq * rows_[q].coef[j];
        std::map<int, int64_t> w;
        for (auto [i, f] : rows_[p].weights) w[i] += fp * f;
        for (auto [i, f] : rows_[q].weights) w[i] += fq * f;
        int64_t g = 0;
        for (int64_t c : row.coef) g = std::gcd(g, c);
        for (auto [i, f] : w) g = std::gcd(g, f);
        for (int64_t& c : row.coef) c /= g;
        for (auto [i, f] : w) row.weights.push_back({i, f / g});
        auto same = [&](int r) {
          return rows_[r].coef == row.coef && rows_[r].weights == row.weights;
        };
        if (std::any_of(next.begin(), next.end(), same)) continue;
        rows_.push_back(std::move(row));
        next.push_back(static_cast<int>(rows_.size()) - 1);
        if (rows_.size() > kMaxRows) {
          throw Error(ErrorCode::kInvalidArgument,
                      "affine system too large to project");
        }
      }
    }
    current = std::move(next);
  }
  feasibility_ = std::move(current);
}

void Polyhedron::Constants(const int64_t* originals,
                           std::vector<int64_t>* out) const {
  out->resize(rows_.size());
  for (size_t r = 0; r < rows_.size(); ++r) {
    int64_t k = 0;
    for (auto [i, f] : rows_[r].weights) k += f * originals[i];
    (*out)[r] = k;
  }
}

bool Polyhedron::Range(int level, const Values& y,
                       const std::vector<int64_t>& k, int64_t* lo,
                       int64_t* hi) const {
  int64_t low = -kNoBound, high = kNoBound;
  for (int r : level_[level]) {
    const std::vector<int64_t>& c = rows_[r].coef;
    int64_t s = k[r];
    for (int q = 0; q < level; ++q) s += c[q] * y[q];
    int64_t a = c[level];
    if (a > 0) {
      low = std::max(low, CeilDiv(-s, a));
    } else {
      high = std::min(high, FloorDiv(s, -a));
    }
  }
  if (low == -kNoBound || high == kNoBound) {
    throw Error(ErrorCode::kInvalidArgument,
                "unbounded variable in an affine system");
  }
  *lo = low, *hi = high;
  return low <= high;
}

uint64_t Polyhedron::Count(const int64_t* constants) const {
  std::vector<int64_t> k;
  Constants(constants, &k);
  for (int row : feasibility_) {
    if (k[row] < 0) return 0;
  }
  if (dims_ == 0) return 1;
  uint64_t count = 0;
  Values y{};
  // Walk the outer coordinates; count the innermost range in closed form.
  auto outer = [&](int level, auto& self) -> void {
    int64_t lo, hi;
    if (!Range(level, y, k, &lo, &hi)) return;
    if (level == dims_ - 1) {
      count += static_cast<uint64_t>(hi - lo + 1);
      return;
    }
    for (int64_t v = lo; v <= hi; ++v) {
      y[level] = v;
      self(level + 1, self);
    }
  };
  outer(0, outer);
  return count;
}

AffineSolver::AffineSolver(int n, const IntMatrix& e, const IntMatrix& g_coef,
                           const std::vector<int64_t>& g_const)
    : n_(n),
      h_(e),
      pivot_(e.size(), -1),
      u_(n, std::vector<int64_t>(n, 0)),
      g_coef_(g_coef),
      g_const_(g_const),
      free_(0, {}) {
  if (n > kMaxVariables) {
    throw Error(ErrorCode::kInvalidArgument, "too many loop variables");
  }
  for (int i = 0; i < n; ++i) u_[i][i] = 1;
  int p = 0;
  for (size_t r = 0; r < h_.size() && p < n; ++r) {
    for (int q = p + 1; q < n; ++q) {
      int64_t a = h_[r][p], b = h_[r][q];
      if (b == 0) continue;
      int64_t g, x, y;
      ExtendedGcd(a, b, &g, &x, &y);
      CombineColumns(&h_, p, q, x, y, -b / g, a / g);
      CombineColumns(&u_, p, q, x, y, -b / g, a / g);
    }
    if (h_[r][p] != 0) pivot_[r] = p++;
  }
  rank_ = p;
  IntMatrix c(g_coef.size(), std::vector<int64_t>(n - rank_, 0));
  for (size_t i = 0; i < g_coef.size(); ++i) {
    for (int j = rank_; j < n; ++j) {
      for (int t = 0; t < n; ++t) c[i][j - rank_] += g_coef[i][t] * u_[t][j];
    }
  }
  free_ = Polyhedron(n - rank_, c);
}

bool AffineSolver::Particular(const int64_t* rhs, int64_t* x0,
                              std::vector<int64_t>* constants) const {
  std::array<int64_t, kMaxVariables> z{};
  for (size_t r = 0; r < h_.size(); ++r) {
    int64_t s = rhs[r];
    for (int q = 0; q < rank_; ++q) s -= h_[r][q] * z[q];
    int p = pivot_[r];
    if (p < 0) {
      if (s != 0) return false;
      continue;
    }
    if (s % h_[r][p] != 0) return false;
    z[p] = s / h_[r][p];
  }
  for (int i = 0; i < n_; ++i) {
    int64_t v = 0;
    for (int j = 0; j < rank_; ++j) v += u_[i][j] * z[j];
    x0[i] = v;
  }
  constants->resize(g_coef_.size());
  for (size_t i = 0; i < g_coef_.size(); ++i) {
    int64_t k = g_const_[i];
    for (int t = 0; t < n_; ++t) k += g_coef_[i][t] * x0[t];
    (*constants)[i] = k;
  }
  return true;
}

uint64_t AffineSolver::Count(const int64_t* rhs) const {
  std::array<int64_t, kMaxVariables> x0{};
  std::vector<int64_t> constants;
  if (!Particular(rhs, x0.data(), &constants)) return 0;
  return free_.Count(constants.data());
}

bool AffineSolver::Parametrize(IntMatrix* x, IntMatrix* free,
                               IntMatrix* c) const {
  size_t m = h_.size();
  IntMatrix z(rank_, std::vector<int64_t>(m, 0));  // pivots: z = Z rhs
  c->clear();
  for (size_t r = 0; r < m; ++r) {
    std::vector<int64_t> row(m, 0);  // rhs_r - sum_q H[r][q] z_q
    row[r] = 1;
    for (int q = 0; q < rank_; ++q) {
      for (size_t t = 0; t < m; ++t) row[t] -= h_[r][q] * z[q][t];
    }
    int p = pivot_[r];
    if (p < 0) {
      c->push_back(row);
      continue;
    }
    int64_t d = h_[r][p];
    if (d != 1 && d != -1) return false;
    for (size_t t = 0; t < m; ++t) z[p][t] = row[t] * d;
  }
  x->assign(n_, std::vector<int64_t>(m, 0));
  free->assign(n_, std::vector<int64_t>(n_ - rank_, 0));
  for (int i = 0; i < n_; ++i) {
    for (int j = 0; j < rank_; ++j) {
      for (size_t t = 0; t < m; ++t) (*x)[i][t] += u_[i][j] * z[j][t];
    }
    for (int j = rank_; j < n_; ++j) (*free)[i][j - rank_] = u_[i][j];
  }
  return true;
}

bool ProvablyEmpty(int n, const IntMatrix& g, const std::vector<int64_t>& k) {
  // Normalized coefficient row -> its tightest constant.
  using Rows = std::map<std::vector<int64_t>, int64_t>;
  Rows rows;
  bool contradiction = false;
  auto add = [&](Rows* to, std::vector<int64_t> c, int64_t constant) {
    int64_t d = 0;
    for (int64_t v : c) d = std::gcd(d, v);
    if (d == 0) {
      contradiction |= constant < 0;
      return;
    }
    for (int64_t& v : c) v /= d;
    constant = FloorDiv(constant, d);
    auto [it, fresh] = to->emplace(std::move(c), constant);
    if (!fresh) it->second = std::min(it->second, constant);
  };
  for (size_t i = 0; i < g.size(); ++i) add(&rows, g[i], k[i]);
  for (int l = n - 1; l >= 0 && !contradiction; --l) {
    Rows next;
    std::vector<Rows::const_iterator> lower, upper;
    for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
      int64_t a = it->first[l];
      if (a > 0) lower.push_back(it);
      if (a < 0) upper.push_back(it);
      if (a == 0) next.insert(*it);
    }
    for (auto p : lower) {
      for (auto q : upper) {
        int64_t fp = -q->first[l], fq = p->first[l];
        std::vector<int64_t> c(n);
        for (int j = 0; j < n; ++j) c[j] = fp * p->first[j] + fq * q->first[j];
        add(&next, std::move(c), fp * p->second + fq * q->second);
      }
    }
    if (next.size() > kMaxRows) return false;  // give up: not proven
    rows = std::move(next);
  }
  return contradiction;
}

}  // namespace tern::linalg
