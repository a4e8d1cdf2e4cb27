// The integer arithmetic under the analysis (src/linalg/affine.h) against
// brute force, on random systems with non-unit coefficients, which the
// shipped programs never exercise.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "linalg/affine.h"
#include "support/throws_error.h"

namespace tern::linalg {
namespace {

constexpr int64_t kBox = 6;  // every variable in [-kBox, kBox]

struct System {
  int n;
  IntMatrix e, g;
  std::vector<int64_t> k;
};

System RandomSystem(std::mt19937* gen) {
  std::uniform_int_distribution<int> dims(1, 3), rows(0, 2), extra(0, 3);
  std::uniform_int_distribution<int64_t> coef(-3, 3), constant(-8, 8);
  System s;
  s.n = dims(*gen);
  for (int r = rows(*gen); r > 0; --r) {
    s.e.emplace_back(s.n);
    for (int64_t& c : s.e.back()) c = coef(*gen);
  }
  for (int i = 0; i < s.n; ++i) {  // the box, so that all is bounded
    for (int sign : {1, -1}) {
      std::vector<int64_t> row(s.n, 0);
      row[i] = sign;
      s.g.push_back(row);
      s.k.push_back(kBox);
    }
  }
  for (int r = extra(*gen); r > 0; --r) {
    s.g.emplace_back(s.n);
    for (int64_t& c : s.g.back()) c = coef(*gen);
    s.k.push_back(constant(*gen));
  }
  return s;
}

// Every point of the box, in lexicographic order.
template <class F>
void ForBox(int n, F&& f) {
  std::vector<int64_t> x(n, -kBox);
  while (true) {
    f(x);
    int l = n;
    while (l > 0 && ++x[l - 1] > kBox) x[--l] = -kBox;
    if (l == 0) return;
  }
}

int64_t Dot(const std::vector<int64_t>& a, const std::vector<int64_t>& x) {
  int64_t s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += a[i] * x[i];
  return s;
}

TEST(AffineSolverTest, MatchesBruteForceOnRandomSystems) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<int64_t> rhs_value(-10, 10);
  int with_solutions = 0, with_free = 0;
  for (int trial = 0; trial < 400; ++trial) {
    System s = RandomSystem(&gen);
    AffineSolver solver(s.n, s.e, s.g, s.k);
    std::vector<int64_t> rhs(s.e.size());
    for (int64_t& v : rhs) v = rhs_value(gen);
    std::set<std::vector<int64_t>> want;
    ForBox(s.n, [&](const std::vector<int64_t>& x) {
      for (size_t r = 0; r < s.e.size(); ++r) {
        if (Dot(s.e[r], x) != rhs[r]) return;
      }
      for (size_t r = 0; r < s.g.size(); ++r) {
        if (Dot(s.g[r], x) + s.k[r] < 0) return;
      }
      want.insert(x);
    });
    std::vector<std::vector<int64_t>> got;
    solver.ForEach(rhs.data(), [&](const int64_t* x) {
      got.emplace_back(x, x + s.n);
      return true;
    });
    std::set<std::vector<int64_t>> got_set(got.begin(), got.end());
    with_solutions += !want.empty();
    with_free += want.size() > 1 && !s.e.empty();
    EXPECT_EQ(got.size(), got_set.size()) << "trial " << trial << ": twice";
    EXPECT_EQ(got_set, want) << "trial " << trial;
    EXPECT_EQ(solver.Count(rhs.data()), want.size()) << "trial " << trial;
    // ProvablyEmpty is a proof: never claims a non-empty set empty.
    if (s.e.empty() && !want.empty()) {
      EXPECT_FALSE(ProvablyEmpty(s.n, s.g, s.k)) << "trial " << trial;
    }
  }
  // The trials exercise what they should: solutions, and free variables.
  EXPECT_GT(with_solutions, 100);
  EXPECT_GT(with_free, 30);
}

TEST(AffineSolverTest, StopsWhenAsked) {
  AffineSolver solver(1, {}, {{1}, {-1}}, {0, 9});  // 0 <= x <= 9
  int calls = 0;
  EXPECT_FALSE(
      solver.ForEach(nullptr, [&](const int64_t*) { return ++calls < 3; }));
  EXPECT_EQ(calls, 3);
}

TEST(AffineSolverTest, DivisibilityAndConsistency) {
  // 2x = rhs within [0, 9]: a solution only for even rhs.
  AffineSolver even(1, {{2}}, {{1}, {-1}}, {0, 9});
  int64_t four = 4, five = 5;
  EXPECT_EQ(even.Count(&four), 1u);
  EXPECT_EQ(even.Count(&five), 0u);
  // x = a and x = b: consistent only if a == b.
  AffineSolver twice(1, {{1}, {1}}, {{1}, {-1}}, {0, 9});
  int64_t same[] = {3, 3}, differ[] = {3, 4};
  EXPECT_EQ(twice.Count(same), 1u);
  EXPECT_EQ(twice.Count(differ), 0u);
}

TEST(AffineSolverTest, ParametrizesUnitPivotSystems) {
  IntMatrix x, f, c;
  // (i, j) -> (j, i, i + 1): one solution, and one consistency row.
  AffineSolver swap(2, {{0, 1}, {1, 0}, {1, 0}}, {}, {});
  ASSERT_TRUE(swap.Parametrize(&x, &f, &c));
  EXPECT_EQ(f[0].size(), 0u);
  ASSERT_EQ(c.size(), 1u);
  std::vector<int64_t> rhs = {5, 3, 3};  // j = 5, i = 3
  EXPECT_EQ(Dot(c[0], rhs), 0);
  EXPECT_EQ(Dot(x[0], rhs), 3);
  EXPECT_EQ(Dot(x[1], rhs), 5);
  EXPECT_NE(Dot(c[0], std::vector<int64_t>{5, 3, 4}), 0);
  // (i, j) -> i + j: one free direction, along which i + j is constant.
  AffineSolver sum(2, {{1, 1}}, {}, {});
  ASSERT_TRUE(sum.Parametrize(&x, &f, &c));
  ASSERT_EQ(f[0].size(), 1u);
  EXPECT_EQ(f[0][0] + f[1][0], 0);
  EXPECT_NE(f[0][0], 0);
  EXPECT_EQ(x[0][0] + x[1][0], 1);
  // i -> 2i: integral only for even blocks.
  EXPECT_FALSE(AffineSolver(1, {{2}}, {}, {}).Parametrize(&x, &f, &c));
}

TEST(AffineSolverTest, UnboundedVariableIsAnError) {
  AffineSolver half(1, {}, {{1}}, {0});  // x >= 0 only
  EXPECT_TRUE(testing_support::ThrowsError(
      [&] { half.ForEach(nullptr, [](const int64_t*) { return true; }); },
      ErrorCode::kInvalidArgument, "unbounded"));
}

TEST(ProvablyEmptyTest, ProvesWhatTighteningShows) {
  // 2x >= 1 and 2x <= 1: rationally x = 1/2, no integer.
  EXPECT_TRUE(ProvablyEmpty(1, {{2}, {-2}}, {-1, 1}));
  // x >= 3 and x <= 2.
  EXPECT_TRUE(ProvablyEmpty(1, {{1}, {-1}}, {-3, 2}));
  // x + y >= 5, x <= 2, y <= 2.
  EXPECT_TRUE(ProvablyEmpty(2, {{1, 1}, {-1, 0}, {0, -1}}, {-5, 2, 2}));
  EXPECT_FALSE(ProvablyEmpty(2, {{1, 1}, {-1, 0}, {0, -1}}, {-4, 2, 2}));
}

}  // namespace
}  // namespace tern::linalg
