// Cost of the lazy dependency analysis: microseconds per Children and per
// Parents query on random tasks of GEMM, Cholesky, TRSM and SYRK at 8 to
// 1,024 blocks per side, with Bind, TaskCount and Starters. The baseline,
// measured in the same run, is what answering a query costs when the DAG is
// unrolled by brute force (the test's unroller): feasible at small sizes
// only, and growing with the DAG.
//
//   linalg_dependencies [--max-blocks 1024] [--queries 2000] [--runs 5]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "linalg/program.h"
#include "tests/linalg/program_unroll.h"

namespace tern::linalg {
namespace {

using Clock = std::chrono::steady_clock;
using Sizes = std::map<std::string, int64_t>;

struct Case {
  const char* name;
  std::function<Program()> make;
  std::function<Sizes(int64_t)> sizes;  // all sides n blocks
  int statements;
};

// Random instances, each statement about as often: a random statement,
// depth (1 to 3) and loop values in [0, n), kept when an instance (Call
// checks).
std::vector<Task> RandomTasks(const BoundProgram& p, const Case& c, int64_t n,
                              int count, std::mt19937_64* gen) {
  std::vector<Task> tasks;
  std::uniform_int_distribution<int> statement(0, c.statements - 1);
  std::uniform_int_distribution<int64_t> value(0, n - 1);
  std::uniform_int_distribution<int> depth(1, 3);
  while (static_cast<int>(tasks.size()) < count) {
    Task t{statement(*gen), std::vector<int64_t>(depth(*gen))};
    for (int64_t& v : t.loop) v = value(*gen);
    try {
      p.Call(t);
      tasks.push_back(t);
    } catch (const Error&) {
    }
  }
  return tasks;
}

double Ms(Clock::duration d) { return bench::Seconds(d) * 1e3; }

// Median over `runs` of the microseconds per query of f over all tasks.
double MicrosPerQuery(const std::vector<Task>& tasks, int runs,
                      const std::function<size_t(const Task&)>& f,
                      double* average_answer) {
  // Sized up front: GCC 12 warns falsely on push_back in a loop.
  std::vector<double> per_query(runs);
  size_t answers = 0;
  for (int r = 0; r < runs; ++r) {
    answers = 0;
    auto start = Clock::now();
    for (const Task& t : tasks) answers += f(t);
    per_query[r] = bench::Seconds(Clock::now() - start) * 1e6 / tasks.size();
  }
  *average_answer = static_cast<double>(answers) / tasks.size();
  return bench::Median(per_query);
}

void Run(const Case& c, int64_t max_blocks, int queries, int runs) {
  std::mt19937_64 gen(42);
  for (int64_t n = 8; n <= max_blocks; n *= 2) {
    Program program = c.make();
    auto start = Clock::now();
    auto bound = program.Bind(c.sizes(n));
    double bind_ms = Ms(Clock::now() - start);
    start = Clock::now();
    uint64_t count = bound->TaskCount();
    double count_ms = Ms(Clock::now() - start);
    start = Clock::now();
    size_t starters = bound->Starters().size();
    double starters_ms = Ms(Clock::now() - start);
    std::vector<Task> tasks = RandomTasks(*bound, c, n, queries, &gen);
    double children, parents;
    double children_us = MicrosPerQuery(
        tasks, runs, [&](const Task& t) { return bound->Children(t).size(); },
        &children);
    double parents_us = MicrosPerQuery(
        tasks, runs, [&](const Task& t) { return bound->Parents(t).size(); },
        &parents);
    // Baseline: unroll the DAG, the cost of a first query without the
    // closed form (numpywren's 4-124 ms per query was of this order).
    std::string unroll = "-";
    if (n <= 32) {
      std::vector<double> ms(3);
      for (int r = 0; r < 3; ++r) {
        auto s = Clock::now();
        testing::Unrolled u = testing::Unroll(program, c.sizes(n));
        ms[r] = Ms(Clock::now() - s);
        if (u.tasks.size() != count) std::abort();  // a wrong baseline
      }
      double median = bench::Median(ms);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f (x%.0f)", median,
                    median * 1e3 / std::max(children_us, parents_us));
      unroll = buf;
    }
    std::printf(
        "%-9s %6lld %14llu %8.2f %8.2f %10zu %9.1f %9.2f %7.1f %9.2f %7.1f  "
        "%s\n",
        c.name, static_cast<long long>(n),
        static_cast<unsigned long long>(count), bind_ms, count_ms, starters,
        starters_ms, children_us, children, parents_us, parents,
        unroll.c_str());
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace tern::linalg

int main(int argc, char** argv) {
  using namespace tern::linalg;
  int64_t max_blocks = 1024;
  int queries = 2000, runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max-blocks"))
      max_blocks = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--queries")) queries = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
  }
  std::vector<Case> cases = {
      {"gemm", GemmProgram,
       [](int64_t n) {
         return Sizes{{"M", n}, {"N", n}, {"K", n}};
       },
       4},
      {"cholesky", CholeskyProgram,
       [](int64_t n) {
         return Sizes{{"N", n}};
       },
       6},
      {"trsm", TrsmProgram,
       [](int64_t n) {
         return Sizes{{"N", n}, {"M", n}};
       },
       4},
      {"syrk", SyrkProgram,
       [](int64_t n) {
         return Sizes{{"N", n}, {"K", n}};
       },
       4},
  };
  std::printf(
      "Lazy dependency analysis: median of %d runs over %d random tasks per "
      "size.\nus/query: microseconds per Children or Parents call (answer "
      "included); avg: tasks per answer.\nunroll ms: brute-force unrolling of "
      "the whole DAG (the baseline), and its ratio to one lazy query.\n\n",
      runs, queries);
  std::printf("%-9s %6s %14s %8s %8s %10s %9s %9s %7s %9s %7s  %s\n", "program",
              "blocks", "tasks", "bind ms", "count ms", "starters", "start ms",
              "child us", "avg", "parent us", "avg",
              "unroll ms (x lazy query)");
  for (const Case& c : cases) Run(c, max_blocks, queries, runs);
  return 0;
}
