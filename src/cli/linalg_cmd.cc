// tern linalg cholesky|gemm: generates random matrices in the store, runs
// the operation as a DAG of block tasks, and prints its time, GFLOP/s,
// residual and the loops' busy versus reserved core-seconds.
#include <cblas.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/cli.h"
#include "tern/errors.h"
#include "tern/linalg.h"

namespace tern::cli {
namespace {

struct LinalgArgs {
  int64_t n = 4096;
  int64_t block = 1024;
  int workers = 0;
  uint64_t seed = 1;
  int64_t residual_rows = 0;  // 0: every row up to n = 4096, else 512
  bool keep = false;
};

int64_t ResidualRows(const LinalgArgs& args) {
  if (args.residual_rows > 0) return args.residual_rows;
  return args.n <= 4096 ? args.n : 512;
}

// ||C - A B||_F / ||A B||_F over sampled rows of C.
double GemmResidual(const linalg::Matrix& a, const linalg::Matrix& b,
                    const linalg::Matrix& c, int64_t rows) {
  int64_t n = a.rows;
  linalg::Matrix sample(rows, a.cols), want(rows, b.cols), got(rows, b.cols);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t row = r * n / rows;
    std::memcpy(&sample(r, 0), &a.values[row * a.cols],
                sizeof(double) * a.cols);
    std::memcpy(&got(r, 0), &c.values[row * c.cols], sizeof(double) * c.cols);
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, b.cols, a.cols,
              1.0, sample.values.data(), a.cols, b.values.data(), b.cols, 0.0,
              want.values.data(), b.cols);
  return linalg::RelativeDifference(want, got);
}

void Report(const char* op, const LinalgArgs& args, double flops,
            const linalg::RunStats& stats, double residual) {
  std::printf("%s n=%lld block=%lld: %.3f s, %.1f GFLOP/s, residual %.2e%s\n",
              op, (long long)args.n, (long long)args.block, stats.wall_seconds,
              flops / stats.wall_seconds / 1e9, residual,
              ResidualRows(args) < args.n ? " (sampled rows)" : "");
  std::printf(
      "%llu tasks (%llu kernels run), %d loops: busy %.2f of %.2f reserved "
      "core-seconds (%.0f%%), kernels %.2f s, block i/o %.2f s\n",
      (unsigned long long)stats.tasks, (unsigned long long)stats.tasks_run,
      stats.loops, stats.busy_core_seconds, stats.reserved_core_seconds,
      100 * stats.busy_core_seconds / stats.reserved_core_seconds,
      stats.kernel_seconds, stats.io_seconds);
}

Executor MakeExecutor(Context& context, const LinalgArgs& args) {
  if (args.n <= 0 || args.block <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "--n and --block must be positive");
  }
  ExecutorOptions options = context.options();
  if (args.workers > 0) options.workers = args.workers;
  options.reuse_processes = true;
  return Executor(options);
}

std::string Prefix() { return "linalg/cli-" + std::to_string(getpid()); }

void RunCholesky(Context& context, const LinalgArgs& args) {
  Executor ex = MakeExecutor(context, args);
  linalg::BigMatrix a =
      linalg::RandomSpd(ex, Prefix() + "/a", args.n, args.block, args.seed);
  linalg::RunOptions options;
  options.out_prefix = Prefix() + "/l";
  linalg::RunStats stats;
  linalg::BigMatrix l = linalg::Cholesky(ex, a, options, &stats);
  double residual =
      linalg::CholeskyResidual(a.ToLocal(), l.ToLocal(), ResidualRows(args));
  double n = double(args.n);
  Report("cholesky", args, n * n * n / 3, stats, residual);
  if (!args.keep) {
    a.Delete();
    l.Delete();
  } else {
    std::printf("kept: %s, %s\n", a.prefix().c_str(), l.prefix().c_str());
  }
}

void RunGemm(Context& context, const LinalgArgs& args) {
  Executor ex = MakeExecutor(context, args);
  linalg::BigMatrix a = linalg::RandomMatrix(ex, Prefix() + "/a", args.n,
                                             args.n, args.block, args.seed);
  linalg::BigMatrix b = linalg::RandomMatrix(ex, Prefix() + "/b", args.n,
                                             args.n, args.block, args.seed + 1);
  linalg::RunOptions options;
  options.out_prefix = Prefix() + "/c";
  linalg::RunStats stats;
  linalg::BigMatrix c = linalg::Gemm(ex, a, b, options, &stats);
  double residual =
      GemmResidual(a.ToLocal(), b.ToLocal(), c.ToLocal(), ResidualRows(args));
  double n = double(args.n);
  Report("gemm", args, 2 * n * n * n, stats, residual);
  if (!args.keep) {
    for (const auto& m : {a, b, c}) m.Delete();
  } else {
    std::printf("kept: %s, %s, %s\n", a.prefix().c_str(), b.prefix().c_str(),
                c.prefix().c_str());
  }
}

void AddOperation(CLI::App* linalg, const char* name, const char* help,
                  void (*run)(Context&, const LinalgArgs&), Context& context) {
  auto args = std::make_shared<LinalgArgs>();
  CLI::App* op = linalg->add_subcommand(name, help);
  op->add_option("--n", args->n, "Matrix size (default 4096)");
  op->add_option("--block", args->block, "Block size (default 1024)");
  op->add_option("--workers", args->workers,
                 "Loops and local workers (default: the configured workers)");
  op->add_option("--seed", args->seed, "Seed of the random matrices");
  op->add_option("--residual-rows", args->residual_rows,
                 "Rows the residual is computed on (default: all up to n = "
                 "4096, else 512)");
  op->add_flag("--keep", args->keep, "Keep the matrices in the store");
  op->callback([&context, args, run] { run(context, *args); });
}

}  // namespace

void AddLinalgCommands(CLI::App& app, Context& context) {
  CLI::App* linalg = app.add_subcommand(
      "linalg", "Run dense linear algebra as tasks on generated matrices");
  AddOperation(linalg, "cholesky",
               "Cholesky factor of a random SPD n x n matrix", RunCholesky,
               context);
  AddOperation(linalg, "gemm", "Product of two random n x n matrices", RunGemm,
               context);
}

}  // namespace tern::cli
