#include "tern/stats.h"

#include <algorithm>
#include <cstdio>

namespace tern {
namespace {
double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * (values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}
}  // namespace

JobStats SummarizeTasks(const std::vector<TaskInfo>& infos,
                        const std::vector<TaskState>& states,
                        double wall_seconds) {
  JobStats stats;
  stats.tasks = infos.size();
  stats.wall_seconds = wall_seconds;
  std::vector<double> run_ms, latency_ms;
  for (size_t i = 0; i < infos.size(); ++i) {
    stats.succeeded += states[i] == TaskState::kSucceeded;
    stats.failed += states[i] == TaskState::kFailed;
    if (infos[i].finished_us == 0) continue;
    run_ms.push_back((infos[i].finished_us - infos[i].started_us) / 1e3);
    latency_ms.push_back((infos[i].finished_us - infos[i].enqueued_us) / 1e3);
    stats.core_seconds += run_ms.back() / 1e3;
  }
  stats.run_median_ms = Percentile(run_ms, 0.5);
  stats.latency_median_ms = Percentile(latency_ms, 0.5);
  stats.latency_p99_ms = Percentile(latency_ms, 0.99);
  return stats;
}

std::string JobStats::ToString() const {
  char text[512];
  std::snprintf(
      text, sizeof text,
      "tasks          %zu (%zu succeeded, %zu failed)\n"
      "wall time      %.2f s\n"
      "core-seconds   %.2f s (%.2f cores busy on average)\n"
      "task run time  median %.2f ms\n"
      "task latency   median %.2f ms, p99 %.2f ms (enqueue to finish)\n",
      tasks, succeeded, failed, wall_seconds, core_seconds,
      wall_seconds > 0 ? core_seconds / wall_seconds : 0.0, run_median_ms,
      latency_median_ms, latency_p99_ms);
  return text;
}

}  // namespace tern
