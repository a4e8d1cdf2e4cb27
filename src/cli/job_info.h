// What the coordinator knows about a job, read for `tern jobs` and `tern logs`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/records.h"
#include "tern/coordinator.h"

namespace tern::cli {

struct JobSummary {
  std::string id;
  std::string listed_kind;  // the active/<job> entry, if any
  std::optional<internal::StoredJob> spec;
  uint64_t finished = 0;  // tasks with a record
  bool cancelled = false;
  // Filled in by ReadFailures only:
  uint64_t failed = 0;                         // tasks that failed
  std::vector<internal::TaskRecord> failures;  // the first ones committed

  std::string Kind() const;
  // "finished" once every task has a record, else "cancelled" if cancelled,
  // "running" if not, "unknown" without a spec.
  std::string State() const;
};

// The ids of every job listed under active/, in order.
std::vector<std::string> ActiveJobs(Coordinator& coordinator);

// Reads job id's spec, listing, cancellation and count of finished tasks.
// Throws Error(kNotFound) when the coordinator knows nothing of the job.
JobSummary ReadJob(Coordinator& coordinator, const std::string& id);

// Counts the job's failed tasks and keeps the first `keep` failed records,
// from its event stream (one winning record per finished task): one round
// trip per few thousand tasks, but it reads every record, inline results
// included.
void ReadFailures(Coordinator& coordinator, JobSummary& job, size_t keep);

// The indexes of the job's tasks that have a record, in increasing order.
std::vector<uint64_t> FinishedTasks(Coordinator& coordinator,
                                    const std::string& id);

// "user exception", "crash", ... for a record's failure_kind.
std::string FailureName(const internal::TaskRecord& record);

}  // namespace tern::cli
