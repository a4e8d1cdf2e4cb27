#include "core/records.h"

#include <chrono>
#include <thread>

#include "core/retry_policy.h"
#include "tern/coordinator.h"
#include "tern/errors.h"
#include "tern/object_store.h"

namespace tern::internal {

constexpr int kFetchAttempts = 4;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Reads key, retrying what may be transient: a store that did not answer, or
// a response that arrived damaged (the checksum caught it). A missing object
// is not retried.
std::string Fetch(ObjectStore& store, const std::string& key,
                  const char* what) {
  std::optional<std::string> bytes;
  for (int attempt = 1;; ++attempt) {
    try {
      bytes = store.Get(key);
      break;
    } catch (const Error& e) {
      bool transient = e.code() == ErrorCode::kUnavailable ||
                       e.code() == ErrorCode::kCorruption;
      if (!transient || attempt >= kFetchAttempts) throw;
      std::this_thread::sleep_for(Backoff(attempt));
    }
  }
  if (!bytes) {
    throw Error(ErrorCode::kNotFound, std::string(what) + " object '" + key +
                                          "' is missing from " + store.Uri());
  }
  return std::move(*bytes);
}
}  // namespace

std::string LogOf(const TaskRecord& record, ObjectStore& store) {
  if (record.log_key.empty()) return record.log;
  return Fetch(store, record.log_key, "log");
}

std::string ResultBytesOf(const TaskRecord& record, ObjectStore& store) {
  if (record.cancelled) {
    throw Error(ErrorCode::kCancelled,
                "task " + std::to_string(record.index) + " was cancelled");
  }
  if (!record.ok) {
    std::string log;
    try {
      log = LogOf(record, store);
    } catch (const Error&) {
      log = "[tern: the captured log is missing]";
    }
    throw TaskError(record.index, static_cast<FailureKind>(record.failure_kind),
                    record.error_type, record.error_message, log,
                    record.attempt);
  }
  if (record.result_key.empty()) return record.result;
  return Fetch(store, record.result_key, "result");
}

StoredResultReader::StoredResultReader(std::string store_uri,
                                       std::string coordinator_uri)
    : store_uri_(std::move(store_uri)),
      coordinator_uri_(std::move(coordinator_uri)) {}

StoredResultReader::~StoredResultReader() = default;

std::vector<std::string> StoredResultReader::Results(const std::string& job,
                                                     uint64_t count) {
  if (!store_) {
    store_ = ObjectStore::Open(store_uri_);
    coordinator_ = Coordinator::Open(coordinator_uri_);
  }
  std::vector<std::string> results;
  results.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::optional<std::string> record = coordinator_->Get(TaskKey(job, i));
    if (!record) {
      throw Error(ErrorCode::kNotFound, "map task " + std::to_string(i) +
                                            " of job " + job +
                                            " has no record");
    }
    results.push_back(
        ResultBytesOf(Decode<TaskRecord>(*record, "task record"), *store_));
  }
  return results;
}

}  // namespace tern::internal
