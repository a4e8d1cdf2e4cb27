// Cost of the lazy dependency analysis: microseconds per Children and per
// Parents query on random tasks of GEMM, Cholesky, TRSM and SYRK at 8 to
// 1,024 blocks per side (mean, p50, p99; each query timed alone, fastest of
// several runs), with Bind, TaskCount and Starters. The baseline, measured
// in the same run, is what a query costs when the DAG must be unrolled by
// brute force first (the test's unroller): feasible at small sizes only,
// and growing with the DAG.
//
//   linalg_dependencies [--max-blocks 1024] [--queries 2000] [--runs 5]
//                       [--program gemm|cholesky|trsm|syrk]
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

// Per-query cost of one kind of query over the random tasks: each query
// timed alone, its fastest of `runs` (the least disturbed by other load).
struct QueryCost {
  double mean_us = 0, p50_us = 0, p99_us = 0;
  double answers = 0;  // tasks per answer, on average
};

QueryCost Measure(const std::vector<Task>& tasks, int runs,
                  const std::function<size_t(const Task&)>& f) {
  std::vector<double> best(tasks.size(), 1e300);
  size_t answers = 0;
  for (int r = 0; r < runs; ++r) {
    answers = 0;
    for (size_t i = 0; i < tasks.size(); ++i) {
      auto start = Clock::now();
      answers += f(tasks[i]);
      best[i] = std::min(best[i], bench::Seconds(Clock::now() - start) * 1e6);
    }
  }
  QueryCost c;
  for (double us : best) c.mean_us += us / tasks.size();
  c.p50_us = bench::Percentile(best, 0.5);
  c.p99_us = bench::Percentile(best, 0.99);
  c.answers = static_cast<double>(answers) / tasks.size();
  return c;
}

struct Row {
  std::string program;
  int64_t blocks = 0;
  uint64_t tasks = 0;
  double bind_ms = 0, count_ms = 0, starters_ms = 0;
  size_t starters = 0;
  QueryCost children, parents;
  std::string unroll;
};

// Baseline: unroll the DAG by brute force, what a first query costs without
// the closed form; median of 3, and its ratio to a lazy query.
std::string Unroll(const Program& program, const Sizes& sizes, uint64_t count,
                   double lazy_us) {
  std::vector<double> ms(3);
  for (int r = 0; r < 3; ++r) {
    auto s = Clock::now();
    testing::Unrolled u = testing::Unroll(program, sizes);
    ms[r] = Ms(Clock::now() - s);
    if (u.tasks.size() != count) std::abort();  // a wrong baseline
  }
  double median = bench::Median(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f (x%.0f)", median,
                median * 1e3 / lazy_us);
  return buf;
}

void Run(const Case& c, int64_t max_blocks, int queries, int runs,
         std::vector<Row>* rows) {
  std::mt19937_64 gen(42);
  for (int64_t n = 8; n <= max_blocks; n *= 2) {
    Program program = c.make();
    Row row;
    row.program = c.name;
    row.blocks = n;
    auto start = Clock::now();
    auto bound = program.Bind(c.sizes(n));
    row.bind_ms = Ms(Clock::now() - start);
    start = Clock::now();
    row.tasks = bound->TaskCount();
    row.count_ms = Ms(Clock::now() - start);
    start = Clock::now();
    row.starters = bound->Starters().size();
    row.starters_ms = Ms(Clock::now() - start);
    std::vector<Task> tasks = RandomTasks(*bound, c, n, queries, &gen);
    row.children = Measure(
        tasks, runs, [&](const Task& t) { return bound->Children(t).size(); });
    row.parents = Measure(
        tasks, runs, [&](const Task& t) { return bound->Parents(t).size(); });
    row.unroll =
        n > 32 ? "-"
               : Unroll(program, c.sizes(n), row.tasks,
                        std::max(row.children.mean_us, row.parents.mean_us));
    rows->push_back(row);
    std::fprintf(stderr, "%s %lld done\n", c.name, static_cast<long long>(n));
  }
}

void Print(const std::vector<Row>& rows) {
  std::printf("%-9s %6s %11s | %8s %8s %8s %6s | %8s %8s %8s %6s | %s\n",
              "program", "blocks", "tasks", "child us", "p50", "p99", "avg",
              "paren us", "p50", "p99", "avg", "unroll ms (x lazy query)");
  for (const Row& r : rows) {
    std::printf(
        "%-9s %6lld %11.3g | %8.2f %8.2f %8.2f %6.1f | %8.2f %8.2f %8.2f "
        "%6.1f | %s\n",
        r.program.c_str(), static_cast<long long>(r.blocks),
        static_cast<double>(r.tasks), r.children.mean_us, r.children.p50_us,
        r.children.p99_us, r.children.answers, r.parents.mean_us,
        r.parents.p50_us, r.parents.p99_us, r.parents.answers,
        r.unroll.c_str());
  }
  std::printf("\n%-9s %6s %11s | %8s %9s %10s %10s\n", "program", "blocks",
              "tasks", "bind ms", "count ms", "starters", "starter ms");
  for (const Row& r : rows) {
    std::printf("%-9s %6lld %11.3g | %8.2f %9.2f %10zu %10.1f\n",
                r.program.c_str(), static_cast<long long>(r.blocks),
                static_cast<double>(r.tasks), r.bind_ms, r.count_ms, r.starters,
                r.starters_ms);
  }
}

}  // namespace
}  // namespace tern::linalg

int main(int argc, char** argv) {
  using namespace tern::linalg;
  int64_t max_blocks = 1024;
  int queries = 2000, runs = 5;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max-blocks"))
      max_blocks = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--queries")) queries = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--program")) only = argv[i + 1];
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
      "Lazy dependency analysis: %d random tasks per size, each statement "
      "about as often;\neach query timed alone, fastest of %d runs. child us "
      "/ paren us: mean microseconds per\nChildren / Parents call (answer "
      "included), p50 and p99 over the tasks; avg: tasks per answer.\n"
      "unroll ms: the baseline, unrolling the whole DAG by brute force, and "
      "its ratio to one lazy query.\n\n",
      queries, runs);
  std::vector<Row> rows;
  for (const Case& c : cases) {
    if (only.empty() || only == c.name)
      Run(c, max_blocks, queries, runs, &rows);
  }
  Print(rows);
  return 0;
}
