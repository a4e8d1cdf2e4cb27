// Monte Carlo estimate of pi: each task throws darts at the unit square with
// its own seed and counts the hits inside the quarter circle; the client adds
// the counts. The classic embarrassingly parallel job, and the shape of most
// parameter sweeps and simulations: a plain function over a list of inputs.
//
//   build/examples/monte_carlo_pi [tasks] [darts_per_task]
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

#include "tern/tern.h"

// Runs in a worker process: no shared state, just its input and its result.
long CountHits(long seed, long darts) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  long hits = 0;
  for (long i = 0; i < darts; ++i) {
    double x = unit(random), y = unit(random);
    hits += x * x + y * y <= 1.0;
  }
  return hits;
}

int main(int argc, char** argv) {
  tern::Init(argc, argv);  // a worker serves tasks here and never returns
  long tasks = argc > 1 ? std::atol(argv[1]) : 100;
  long darts = argc > 2 ? std::atol(argv[2]) : 2'000'000;

  auto ex = tern::Executor::FromConfig();
  std::vector<long> seeds(tasks);
  std::iota(seeds.begin(), seeds.end(), 1);
  // Extra arguments after the inputs are passed to every task.
  auto futures = ex.Map(CountHits, seeds, darts);
  std::vector<long> hits = tern::GetAllResults(futures);

  long total = std::accumulate(hits.begin(), hits.end(), 0L);
  double pi = 4.0 * total / (static_cast<double>(tasks) * darts);
  std::printf("pi ~= %.6f from %ld darts in %ld tasks\n", pi, tasks * darts,
              tasks);
}
