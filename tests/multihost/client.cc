// The client of the multi-host test: submits a job for worker agents on other
// hosts (TERN_BACKEND=agents, stores from TERN_STORE and TERN_COORDINATOR),
// checks every result, and reports how many tasks needed a second attempt.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <numeric>

#include "tern/tern.h"

long SlowSquare(long x) {
  usleep(50000);
  return x * x;
}

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int tasks = argc > 1 ? std::atoi(argv[1]) : 200;
  auto ex = tern::Executor::FromConfig();
  std::vector<long> inputs(tasks);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto futures = ex.Map(SlowSquare, inputs);
  std::vector<long> results = tern::GetAllResults(futures);
  int wrong = 0, retried = 0;
  std::map<std::string, int> per_worker;
  for (int i = 0; i < tasks; ++i) {
    wrong += results[i] != static_cast<long>(i) * i;
    retried += futures[i].Info().attempt > 1;
    ++per_worker[futures[i].Info().worker];
  }
  std::printf("multihost client: %d tasks, %d wrong, %d re-run after a lost worker\n", tasks,
              wrong, retried);
  for (auto& [worker, count] : per_worker) {
    std::printf("multihost client: worker %s ran %d\n", worker.c_str(), count);
  }
  return wrong == 0 ? 0 : 1;
}
