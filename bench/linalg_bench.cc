// Cholesky and GEMM on tern's DAG executor against LAPACK/OpenBLAS on as
// many threads as tern has loops, and ScaLAPACK's pdpotrf on as many MPI
// ranks, in the same run on the same matrices (medians of --runs runs).
//
//   build/bench/linalg_bench [--chol-n 16384] [--gemm-n 8192] [--block 2731]
//       [--gemm-block 4096] [--loops 2] [--runs 3] [--dir /dev/shm] [--skip
//       chol|gemm|scalapack]
//
// The store (file://) and the SQLite coordinator live in a scratch directory
// under --dir, /dev/shm by default (memory, as a worker's local disk cache
// would be); it is removed at exit. Residuals: ||A - L L^T||_F / ||A||_F
// estimated from 512 rows (tern/linalg.h), ||C - C_blas||_F / ||C_blas||_F.
#include <cblas.h>
#include <lapacke.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>

#include "bench_util.h"
#include "tern/linalg.h"

extern "C" void openblas_set_num_threads(int);

namespace {

using tern::bench::Median;
using tern::linalg::BigMatrix;
using tern::linalg::Matrix;
using Clock = std::chrono::steady_clock;

struct Args {
  int64_t chol_n = 16384;
  int64_t gemm_n = 8192;
  int64_t block = 2731;       // Cholesky's: 6 x 6 blocks at n = 16384
  int64_t gemm_block = 4096;  // GEMM's
  int loops = 2;
  int runs = 3;
  std::string dir = "/dev/shm";
  std::set<std::string> skip;
};

Args Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--chol-n") {
      args.chol_n = std::stoll(value);
    } else if (flag == "--gemm-n") {
      args.gemm_n = std::stoll(value);
    } else if (flag == "--block") {
      args.block = std::stoll(value);
    } else if (flag == "--gemm-block") {
      args.gemm_block = std::stoll(value);
    } else if (flag == "--loops") {
      args.loops = std::stoi(value);
    } else if (flag == "--runs") {
      args.runs = std::stoi(value);
    } else if (flag == "--dir") {
      args.dir = value;
    } else if (flag == "--skip") {
      args.skip.insert(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

struct Row {
  std::string system;
  double seconds = 0;
  double gflops = 0;
  double residual = -1;
  double busy = -1, reserved = -1;
};

void PrintTable(const std::string& title, const std::vector<Row>& rows,
                double baseline_seconds) {
  std::printf("\n%s\n%-36s %9s %9s %10s %10s %18s\n", title.c_str(), "system",
              "seconds", "GFLOP/s", "vs base", "residual", "busy/reserved cs");
  for (const Row& r : rows) {
    char residual[32] = "-", cores[48] = "-";
    if (r.residual >= 0)
      std::snprintf(residual, sizeof residual, "%.1e", r.residual);
    if (r.busy >= 0) {
      std::snprintf(cores, sizeof cores, "%.1f/%.1f (%.0f%%)", r.busy,
                    r.reserved, 100 * r.busy / r.reserved);
    }
    std::printf("%-36s %9.2f %9.1f %9.2fx %10s %18s\n", r.system.c_str(),
                r.seconds, r.gflops, r.seconds / baseline_seconds, residual,
                cores);
  }
  std::fflush(stdout);
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs one run of every system in turn, `runs` rounds, so that all of them
// see the same drift in the load of a shared machine. Returns each system's
// seconds, run by run.
std::vector<std::vector<double>> Interleave(
    int runs, const std::vector<std::function<double()>>& systems) {
  std::vector<std::vector<double>> seconds(systems.size());
  for (int r = 0; r < runs; ++r) {
    for (size_t k = 0; k < systems.size(); ++k) {
      seconds[k].push_back(systems[k]());
    }
  }
  return seconds;
}

// One tern run; its stats are appended to *all.
double TernRun(const std::function<BigMatrix(tern::linalg::RunStats*)>& op,
               std::vector<tern::linalg::RunStats>* all, BigMatrix* result) {
  tern::linalg::RunStats s;
  *result = op(&s);
  std::fprintf(stderr,
               "  tern run %zu: %.2f s, busy %.1f of %.1f core-s, kernels "
               "%.1f s, io %.1f s (writes %.1f s), %llu of %llu reads cached\n",
               all->size() + 1, s.wall_seconds, s.busy_core_seconds,
               s.reserved_core_seconds, s.kernel_seconds, s.io_seconds,
               s.write_seconds, (unsigned long long)s.cache_hits,
               (unsigned long long)s.blocks_read);
  all->push_back(s);
  return s.wall_seconds;
}

// The row of the tern runs: median seconds, busy/reserved of the median run.
Row TernRow(const std::string& name, double flops,
            const std::vector<tern::linalg::RunStats>& all) {
  std::vector<double> seconds;
  for (const auto& s : all) seconds.push_back(s.wall_seconds);
  double median = Median(seconds);
  const auto& m =
      *std::min_element(all.begin(), all.end(), [&](auto& a, auto& b) {
        return std::abs(a.wall_seconds - median) <
               std::abs(b.wall_seconds - median);
      });
  return {name,
          median,
          flops / median / 1e9,
          -1,
          m.busy_core_seconds,
          m.reserved_core_seconds};
}

// One ScaLAPACK run through mpirun, or nullopt if it is not available.
std::optional<double> ScalapackRun(const Args& args) {
#ifdef TERN_SCALAPACK_CHOLESKY
  std::string command =
      "OPENBLAS_NUM_THREADS=1 mpirun --allow-run-as-root "
      "--oversubscribe -x OPENBLAS_NUM_THREADS -np " +
      std::to_string(args.loops) + " " + TERN_SCALAPACK_CHOLESKY + " " +
      std::to_string(args.chol_n) + " 256 1 1 2>&1";
  std::optional<std::string> out = tern::bench::RunBaseline(command);
  size_t at = out ? out->find("{\"seconds\"") : std::string::npos;
  if (at == std::string::npos) return std::nullopt;
  double seconds = tern::bench::JsonNumber(out->substr(at), "seconds");
  std::fprintf(stderr, "  ScaLAPACK run: %.2f s\n", seconds);
  return seconds;
#else
  (void)args;
  return std::nullopt;
#endif
}

std::string TernName(const Args& args, int64_t block) {
  return "tern, " + std::to_string(args.loops) + " loops, block " +
         std::to_string(block);
}

void BenchCholesky(tern::Executor& ex, const Args& args) {
  int64_t n = args.chol_n;
  double flops = double(n) * n * n / 3;
  std::fprintf(stderr, "cholesky: generating a %lld x %lld SPD matrix\n",
               (long long)n, (long long)n);
  BigMatrix a = tern::linalg::RandomSpd(ex, "chol/a", n, args.block, 1);
  Matrix la = a.ToLocal(), work;
  tern::linalg::RunOptions options;
  options.out_prefix = "chol/l";
  BigMatrix l = a;
  std::vector<tern::linalg::RunStats> stats;
  bool scalapack = !args.skip.count("scalapack");
  std::vector<std::function<double()>> systems{
      [&] {
        return TernRun(
            [&](tern::linalg::RunStats* s) {
              return tern::linalg::Cholesky(ex, a, options, s);
            },
            &stats, &l);
      },
      [&] {
        openblas_set_num_threads(args.loops);
        work = la;
        auto start = Clock::now();
        // Row-major lower = column-major upper of the same bytes.
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, work.values.data(), n)) {
          throw std::runtime_error("LAPACK dpotrf failed");
        }
        double seconds = Since(start);
        std::fprintf(stderr, "  LAPACK run: %.2f s\n", seconds);
        return seconds;
      }};
  if (scalapack) {
    systems.push_back([&] {
      std::optional<double> s = ScalapackRun(args);
      if (!s) scalapack = false;
      return s.value_or(0);
    });
  }
  std::vector<std::vector<double>> seconds = Interleave(args.runs, systems);
  for (int64_t i = 0; i < n; ++i) {
    std::memset(&work(i, i + 1), 0, sizeof(double) * (n - i - 1));
  }
  Row tern_row = TernRow(TernName(args, args.block), flops, stats);
  tern_row.residual = tern::linalg::CholeskyResidual(la, l.ToLocal(), 512);
  double lapack = Median(seconds[1]);
  std::vector<Row> rows{
      tern_row,
      {"LAPACK dpotrf, OpenBLAS " + std::to_string(args.loops) + " threads",
       lapack, flops / lapack / 1e9,
       tern::linalg::CholeskyResidual(la, work, 512)}};
  if (scalapack) {
    double s = Median(seconds[2]);
    rows.push_back({"ScaLAPACK pdpotrf, " + std::to_string(args.loops) +
                        " MPI ranks, nb 256",
                    s, flops / s / 1e9});
  }
  PrintTable("Cholesky n=" + std::to_string(n) + ", median of " +
                 std::to_string(args.runs) + " interleaved runs",
             rows, lapack);
}

void BenchGemm(tern::Executor& ex, const Args& args) {
  int64_t n = args.gemm_n, block = args.gemm_block;
  double flops = 2.0 * n * n * n;
  std::fprintf(stderr, "gemm: generating two %lld x %lld matrices\n",
               (long long)n, (long long)n);
  BigMatrix a = tern::linalg::RandomMatrix(ex, "gemm/a", n, n, block, 1);
  BigMatrix b = tern::linalg::RandomMatrix(ex, "gemm/b", n, n, block, 2);
  Matrix la = a.ToLocal(), lb = b.ToLocal(), want(n, n);
  tern::linalg::RunOptions options;
  options.out_prefix = "gemm/c";
  BigMatrix c = a;
  std::vector<tern::linalg::RunStats> stats;
  std::vector<std::vector<double>> seconds = Interleave(
      args.runs, {[&] {
                    return TernRun(
                        [&](tern::linalg::RunStats* s) {
                          return tern::linalg::Gemm(ex, a, b, options, s);
                        },
                        &stats, &c);
                  },
                  [&] {
                    openblas_set_num_threads(args.loops);
                    auto start = Clock::now();
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n,
                                n, 1.0, la.values.data(), n, lb.values.data(),
                                n, 0.0, want.values.data(), n);
                    double seconds = Since(start);
                    std::fprintf(stderr, "  OpenBLAS run: %.2f s\n", seconds);
                    return seconds;
                  }});
  Row tern_row = TernRow(TernName(args, block), flops, stats);
  tern_row.residual = tern::linalg::RelativeDifference(want, c.ToLocal());
  double blas = Median(seconds[1]);
  Row blas_row{"OpenBLAS dgemm, " + std::to_string(args.loops) + " threads",
               blas, flops / blas / 1e9};
  PrintTable("GEMM n=" + std::to_string(n) + ", median of " +
                 std::to_string(args.runs) +
                 " interleaved runs (residual vs OpenBLAS)",
             {tern_row, blas_row}, blas);
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  Args args = Parse(argc, argv);
  std::string dir = args.dir + "/tern-linalg-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/store");
  tern::ExecutorOptions options;
  options.store = "file://" + dir + "/store";
  options.coordinator = "sqlite://" + dir + "/coordinator.db";
  options.workers = args.loops;
  options.reuse_processes = true;
  options.progress = "never";
  int status = 0;
  try {
    tern::Executor ex(options);
    std::printf("tern linalg on %d loops; store %s\n", args.loops,
                options.store.c_str());
    if (!args.skip.count("gemm")) BenchGemm(ex, args);
    if (!args.skip.count("chol")) BenchCholesky(ex, args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linalg_bench: %s\n", e.what());
    status = 1;
  }
  std::filesystem::remove_all(dir);
  return status;
}
