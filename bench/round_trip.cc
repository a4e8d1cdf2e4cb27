// Round trip of one CallAsync at a time (submit, run a no-op on a warm local
// worker, result back): median and p99 of many calls, for tern with a fresh
// process per task and with reused processes, against multiprocessing's
// apply_async().get() and Dask's submit().result(), in the same run.
//
//   build/bench/round_trip [calls]
#include "bench_util.h"

namespace {

int Noop(int x) { return x; }

std::vector<double> TernRoundTripsUs(const tern::ExecutorOptions& options,
                                     int calls) {
  tern::Executor ex(options);
  for (int i = 0; i < 20; ++i) ex.CallAsync(Noop, i).Result();  // warm up
  std::vector<double> micros;
  for (int i = 0; i < calls; ++i) {
    auto start = std::chrono::steady_clock::now();
    ex.CallAsync(Noop, i).Result();
    micros.push_back(
        tern::bench::Seconds(std::chrono::steady_clock::now() - start) * 1e6);
  }
  return micros;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int calls = argc > 1 ? std::atoi(argv[1]) : 1000;
  using tern::bench::Percentile;

  struct Row {
    std::string name;
    double median_us, p99_us;
  };
  std::vector<Row> rows;
  for (bool reuse : {false, true}) {
    tern::bench::ScratchDeployment deployment;
    auto options = deployment.Options(2);
    options.reuse_processes = reuse;
    auto micros = TernRoundTripsUs(options, calls);
    rows.push_back(
        {reuse ? "tern, reused processes" : "tern, fresh process per task",
         Percentile(micros, 0.5), Percentile(micros, 0.99)});
  }
  for (const char* system : {"multiprocessing", "dask"}) {
    auto json = tern::bench::RunBaseline(
        "/usr/bin/python3 " + tern::bench::BaselineDir() + "/round_trip.py " +
        system + " --calls " + std::to_string(calls) + " --workers 2");
    if (json) {
      rows.push_back({std::string(system) == "dask"
                          ? "Dask submit().result()"
                          : "multiprocessing apply_async().get()",
                      tern::bench::JsonNumber(*json, "median_us"),
                      tern::bench::JsonNumber(*json, "p99_us")});
    }
  }
  std::printf("\nround trip of one call at a time, %d calls\n", calls);
  std::printf("%-38s %12s %12s\n", "system", "median (us)", "p99 (us)");
  for (const Row& row : rows) {
    std::printf("%-38s %12.0f %12.0f\n", row.name.c_str(), row.median_us,
                row.p99_us);
  }
}
