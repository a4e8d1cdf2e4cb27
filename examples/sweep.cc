// The PyWren paper's sweep, and tern's main job: for each of 1000 values of b,
// draw a 1024-vector x and a 1024x1024 matrix A from N(0, b) and return A x
// (OpenBLAS dgemv). Existing single-machine code, run wide by one Map call;
// then a summary of what it cost: tasks, wall time, core-seconds, latencies.
//
//   build/examples/sweep [values_of_b]
#include <cblas.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "tern/tern.h"

constexpr int kN = 1024;

std::vector<double> RandomProduct(double b) {
  std::mt19937_64 random(std::hash<double>{}(b));
  std::normal_distribution<double> normal(0.0, b);
  std::vector<double> x(kN), a(size_t{kN} * kN), y(kN);
  for (double& v : x) v = normal(random);
  for (double& v : a) v = normal(random);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, kN, kN, 1.0, a.data(), kN, x.data(),
              1, 0.0, y.data(), 1);
  return y;
}

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  size_t values = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;

  auto ex = tern::Executor::FromConfig();
  std::printf(
      "sweep: %zu tasks on %d local workers, store %s, coordinator %s\n",
      values, ex.options().workers, ex.options().store.c_str(),
      ex.options().coordinator.c_str());
  auto start = std::chrono::steady_clock::now();
  auto futures = ex.Map(RandomProduct, tern::Linspace(0.1, 100, values));
  std::vector<std::vector<double>> products = tern::GetAllResults(futures);
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  // ||A x|| grows like b^2 sqrt(n) sqrt(n): a quick check that the numbers are
  // real.
  double last_norm = cblas_dnrm2(kN, products.back().data(), 1);
  std::printf("||A x|| for b = 100: %.4g (expected about %.4g)\n", last_norm,
              100.0 * 100.0 * kN);
  std::printf("%s", tern::Summarize(futures, wall).ToString().c_str());
}
