// What tern stores about jobs and tasks, and under which names.
//
// Coordinator names (a deployment's key prefix is applied by the coordinator):
//   q/<runtime>              the task queue of every job of one binary
//   jobs/<job>/spec          StoredJob, written once at submission
//   jobs/<job>/task/<i>      TaskRecord of task i; the first commit wins
//   jobs/<job>/events        stream of winning TaskRecords, which clients read
//   jobs/<job>/cancelled     present once the job is cancelled
//   jobs/<job>/discarded     counter: losing duplicate attempts
//   jobs/<job>/backups       counter: speculative backup attempts started
//   active/<job>             one entry per submitted job, for listings
// ObjectStore keys, for what is too large to ride inline:
//   jobs/<job>/extra, jobs/<job>/in/<i>, jobs/<job>/out/<i>.<attempt>-<token>,
//   jobs/<job>/log/<i>.<attempt>-<token>
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tern/internal/function_ref.h"

namespace tern::internal {

struct StoredJob {
  std::string id;
  std::string kind;     // "map", "call" or "reduce"
  std::string runtime;  // SHA-256 of the binary that submitted it
  FunctionRef function;
  std::string extra;      // encoded extra arguments, when small
  std::string extra_key;  // else their object key
  uint64_t tasks = 0;
  int64_t task_timeout_ms = 0;
  uint64_t memory_limit_bytes = 0;
  int max_attempts = 3;
  bool reuse_processes = false;
  uint64_t inline_limit_bytes = 0;
  double speculation = 0;  // ExecutorOptions::speculation
  int64_t created_us = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(id, kind, runtime, function, extra, extra_key, tasks, task_timeout_ms,
       memory_limit_bytes, max_attempts, reuse_processes, inline_limit_bytes,
       speculation, created_us);
  }
};

struct TaskMessage {
  std::string job;
  uint64_t index = 0;
  std::string input;      // encoded input, when small
  std::string input_key;  // else its object key
  int64_t enqueued_us = 0;
  bool backup = false;  // a speculative copy of a straggling attempt

  template <class Archive>
  void serialize(Archive& ar) {
    ar(job, index, input, input_key, enqueued_us, backup);
  }
};

struct TaskRecord {
  uint64_t index = 0;
  bool ok = false;
  bool cancelled = false;
  int failure_kind = 0;  // a tern::FailureKind when !ok
  std::string error_type;
  std::string error_message;
  std::string result;      // encoded result, when small
  std::string result_key;  // else its object key
  std::string log;         // captured output, when small
  std::string log_key;     // else its object key
  int attempt = 0;
  std::string worker;
  int64_t enqueued_us = 0;
  int64_t started_us = 0;
  int64_t finished_us = 0;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(index, ok, cancelled, failure_kind, error_type, error_message, result,
       result_key, log, log_key, attempt, worker, enqueued_us, started_us,
       finished_us, input_bytes, output_bytes);
  }
};

inline std::string QueueName(const std::string& runtime) {
  return "q/" + runtime;
}
inline std::string JobKey(const std::string& job, const std::string& what) {
  return "jobs/" + job + "/" + what;
}
inline std::string TaskKey(const std::string& job, uint64_t index) {
  return JobKey(job, "task/" + std::to_string(index));
}
// Each attempt writes under its own key, so two attempts of one task (a retry
// after a lost lease, or a duplicate) never overwrite each other's objects:
// the attempt number alone is not enough, as duplicates share it. `token`
// names the attempt's worker process uniquely.
inline std::string AttemptKey(const std::string& job, const char* what,
                              uint64_t index, int attempt,
                              const std::string& token) {
  return JobKey(job, std::string(what) + "/" + std::to_string(index) + "." +
                         std::to_string(attempt) + "-" + token);
}

// Wall-clock microseconds since the epoch (comparable across processes).
int64_t NowMicros();

}  // namespace tern::internal

namespace tern {
class ObjectStore;
class Coordinator;
}  // namespace tern

namespace tern::internal {

// The encoded result a record holds (fetching it from store when large).
// Throws the TaskError the record describes when the task failed, and
// Error(kNotFound) when its result object is missing.
std::string ResultBytesOf(const TaskRecord& record, ObjectStore& store);

// The captured output a record holds (fetching it from store when large).
std::string LogOf(const TaskRecord& record, ObjectStore& store);

// Reads a finished map job's results for a reducer, connecting on first use.
class StoredResultReader : public MapResultReader {
 public:
  StoredResultReader(std::string store_uri, std::string coordinator_uri);
  ~StoredResultReader() override;
  std::vector<std::string> Results(const std::string& job,
                                   uint64_t count) override;

 private:
  std::string store_uri_, coordinator_uri_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
};

}  // namespace tern::internal
