// Speculative execution against stragglers: a 2,000-task map where 1% of first
// attempts take 20x the normal task time. Job wall time without stragglers,
// with stragglers and speculation off, and with speculation on; medians of
// several runs in the same process.
//
//   build/bench/stragglers [tasks=2000] [task_ms=5] [runs=3]
#include <fcntl.h>

#include <numeric>

#include "bench_util.h"

namespace {

// Every 100th task straggles on its first attempt, when `dir` is given: the
// attempt that creates the task's marker file is the first.
int Work(int x, int task_ms, const std::string& dir) {
  int ms = task_ms;
  if (!dir.empty() && x % 100 == 37) {
    std::string marker = dir + "/" + std::to_string(x);
    int fd = open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0) {
      close(fd);
      ms = 20 * task_ms;
    }
  }
  usleep(ms * 1000);
  return x;
}

double WallSeconds(double speculation, bool stragglers, int tasks,
                   int task_ms) {
  tern::bench::ScratchDeployment deployment;
  auto options = deployment.Options(2);
  options.speculation = speculation;
  tern::Executor ex(options);
  ex.CallAsync(Work, 0, task_ms, std::string()).Result();  // workers up
  char pattern[] = "/tmp/tern-bench-markers-XXXXXX";
  std::string dir = stragglers ? mkdtemp(pattern) : "";
  std::vector<int> inputs(tasks);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto start = std::chrono::steady_clock::now();
  tern::GetAllResults(ex.Map(Work, inputs, task_ms, dir));
  double seconds =
      tern::bench::Seconds(std::chrono::steady_clock::now() - start);
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int tasks = argc > 1 ? std::atoi(argv[1]) : 2000;
  int task_ms = argc > 2 ? std::atoi(argv[2]) : 5;
  int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  struct Case {
    const char* name;
    double speculation;
    bool stragglers;
  };
  const Case cases[] = {{"no stragglers", 0, false},
                        {"stragglers, speculation off", 0, true},
                        {"stragglers, speculation on (4x)", 4, true}};
  std::printf(
      "\n%d tasks of %d ms on 2 workers; 1%% of first attempts take %d ms\n",
      tasks, task_ms, 20 * task_ms);
  std::printf("%-34s %12s %18s\n", "case", "wall (s)", "vs no stragglers");
  double baseline = 0;
  for (const Case& c : cases) {
    std::vector<double> walls(runs);
    for (double& wall : walls) {
      wall = WallSeconds(c.speculation, c.stragglers, tasks, task_ms);
    }
    double wall = tern::bench::Median(walls);
    if (baseline == 0) baseline = wall;
    std::printf("%-34s %12.2f %17.2fx\n", c.name, wall, wall / baseline);
  }
}
