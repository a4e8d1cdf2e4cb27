// Throughput of no-op tasks on 2 local workers: tern with a fresh process per
// task (the default) and with reused processes, against Python's
// multiprocessing.Pool(2) (chunksize 1) and a Dask LocalCluster of 2
// processes, measured in the same run. Medians of several runs.
//
//   build/bench/task_throughput [tasks] [runs]
#include <numeric>

#include "bench_util.h"

namespace {

int Noop(int x) { return x; }

double TernTasksPerSecond(const tern::ExecutorOptions& options, int tasks) {
  tern::Executor ex(options);
  ex.CallAsync(Noop, 0).Result();  // workers up, as the baselines warm up too
  std::vector<int> inputs(tasks);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto start = std::chrono::steady_clock::now();
  auto results = tern::GetAllResults(ex.Map(Noop, inputs));
  return tasks / tern::bench::Seconds(std::chrono::steady_clock::now() - start);
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int tasks = argc > 1 ? std::atoi(argv[1]) : 10000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  using tern::bench::Median;

  std::vector<std::pair<std::string, double>> rows;
  for (bool reuse : {false, true}) {
    std::vector<double> rates;
    for (int run = 0; run < runs; ++run) {
      tern::bench::ScratchDeployment deployment;
      auto options = deployment.Options(2);
      options.reuse_processes = reuse;
      rates.push_back(TernTasksPerSecond(options, tasks));
    }
    rows.emplace_back(
        reuse ? "tern, reused processes" : "tern, fresh process per task",
        Median(rates));
  }
  for (const char* system : {"multiprocessing", "dask"}) {
    auto json = tern::bench::RunBaseline(
        "/usr/bin/python3 " + tern::bench::BaselineDir() +
        "/noop_throughput.py " + system + " --tasks " + std::to_string(tasks) +
        " --workers 2 --repeat " + std::to_string(runs));
    if (json) {
      rows.emplace_back(std::string(system) == "dask"
                            ? "Dask LocalCluster(2 processes)"
                            : "multiprocessing.Pool(2), chunksize 1",
                        tern::bench::JsonNumber(*json, "median_tasks_per_s"));
    }
  }
  double pool = 0, dask = 0;
  for (auto& [name, rate] : rows) {
    if (name.starts_with("multiprocessing")) pool = rate;
    if (name.starts_with("Dask")) dask = rate;
  }
  std::printf("\n%d no-op tasks on 2 local workers, median of %d runs\n", tasks,
              runs);
  std::printf("%-38s %12s %10s %10s\n", "system", "tasks/s", "vs Pool",
              "vs Dask");
  for (auto& [name, rate] : rows) {
    std::printf("%-38s %12.0f %9.2fx %9.2fx\n", name.c_str(), rate,
                pool ? rate / pool : 0.0, dask ? rate / dask : 0.0);
  }
}
