// JobStats: what a finished set of tasks cost, from the records the workers
// left: task counts, wall time, core-seconds, and task latency percentiles.
#pragma once

#include <string>
#include <vector>

#include "tern/future.h"

namespace tern {

struct JobStats {
  size_t tasks = 0;
  size_t succeeded = 0;
  size_t failed = 0;
  double wall_seconds = 0;       // as measured by the caller
  double core_seconds = 0;       // sum of the tasks' run times
  double run_median_ms = 0;      // a task's run time, start to finish
  double latency_median_ms = 0;  // a task's latency, enqueue to finish
  double latency_p99_ms = 0;

  // A few aligned lines for a terminal.
  std::string ToString() const;
};

JobStats SummarizeTasks(const std::vector<TaskInfo>& infos,
                        const std::vector<TaskState>& states,
                        double wall_seconds);

template <class T>
JobStats Summarize(const std::vector<Future<T>>& futures, double wall_seconds) {
  std::vector<TaskInfo> infos;
  std::vector<TaskState> states;
  for (const auto& f : futures) {
    infos.push_back(f.Info());
    states.push_back(f.State());
  }
  return SummarizeTasks(infos, states, wall_seconds);
}

}  // namespace tern
