#include "cli/job_info.h"

#include <algorithm>

#include "tern/errors.h"

namespace tern::cli {
namespace {

constexpr char kActive[] = "active/";
constexpr int kEventBatch = 4096;

}  // namespace

void ReadFailures(Coordinator& coordinator, JobSummary& job, size_t keep) {
  uint64_t after = 0;
  for (;;) {
    std::vector<Event> events = coordinator.Read(
        internal::JobKey(job.id, "events"), after, kEventBatch, Millis(0));
    if (events.empty()) return;
    after = events.back().seq;
    for (const Event& event : events) {
      auto record =
          internal::Decode<internal::TaskRecord>(event.data, "task record");
      if (record.ok || record.cancelled) continue;
      ++job.failed;
      if (job.failures.size() < keep) job.failures.push_back(std::move(record));
    }
  }
}

std::string JobSummary::Kind() const {
  if (spec) return spec->kind;
  return listed_kind.empty() ? "?" : listed_kind;
}

std::string JobSummary::State() const {
  if (!spec) return "unknown";
  if (finished >= spec->tasks) return "finished";
  return cancelled ? "cancelled" : "running";
}

std::vector<std::string> ActiveJobs(Coordinator& coordinator) {
  std::vector<std::string> ids;
  for (const std::string& key : coordinator.ListKeys(kActive)) {
    ids.push_back(key.substr(sizeof kActive - 1));
  }
  return ids;
}

JobSummary ReadJob(Coordinator& coordinator, const std::string& id) {
  JobSummary job;
  job.id = id;
  std::optional<std::string> listed = coordinator.Get(kActive + id);
  if (listed) job.listed_kind = *listed;
  if (std::optional<std::string> spec =
          coordinator.Get(internal::JobKey(id, "spec"))) {
    job.spec = internal::Decode<internal::StoredJob>(*spec, "job spec");
  }
  job.finished = coordinator.ListKeys(internal::JobKey(id, "task/")).size();
  if (!listed && !job.spec && job.finished == 0) {
    throw Error(ErrorCode::kNotFound,
                "no job '" + id + "' in " + coordinator.Uri());
  }
  job.cancelled =
      coordinator.Get(internal::JobKey(id, "cancelled")).has_value();
  return job;
}

std::vector<uint64_t> FinishedTasks(Coordinator& coordinator,
                                    const std::string& id) {
  std::string prefix = internal::JobKey(id, "task/");
  std::vector<uint64_t> indexes;
  for (const std::string& key : coordinator.ListKeys(prefix)) {
    try {
      indexes.push_back(std::stoull(key.substr(prefix.size())));
    } catch (const std::exception&) {
      // Not a task record; ignore it.
    }
  }
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

std::string FailureName(const internal::TaskRecord& record) {
  return FailureKindName(static_cast<FailureKind>(record.failure_kind));
}

}  // namespace tern::cli
