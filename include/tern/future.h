// Future<T>: a handle to the result of one task, and the functions that wait on
// many of them (Wait, GetAllResults).
//
// Futures are cheap to copy; all futures of a job share one job handle that a
// background thread keeps up to date from the job's event stream, so waiting
// never polls storage. Result() rethrows a task's failure as tern::TaskError.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/internal/codec.h"

namespace tern {

enum class TaskState { kPending, kSucceeded, kFailed, kCancelled };

// What the coordinator recorded about a finished task.
struct TaskInfo {
  uint64_t index = 0;
  int attempt = 0;          // the attempt whose outcome counts (1-based)
  std::string worker;       // host:pid of the worker that ran it
  int64_t enqueued_us = 0;  // wall-clock microseconds since the epoch
  int64_t started_us = 0;
  int64_t finished_us = 0;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
};

namespace internal {

// The client's view of one submitted job, shared by its futures. Thread-safe.
class JobHandle {
 public:
  virtual ~JobHandle() = default;
  virtual const std::string& id() const = 0;
  virtual uint64_t size() const = 0;
  virtual TaskState State(uint64_t index) = 0;
  // Blocks until task index finishes; returns its encoded result. Throws
  // TaskError if it failed, Error(kCancelled) if the job was cancelled.
  virtual std::string ResultBytes(uint64_t index) = 0;
  // Captured stdout/stderr of the counted attempt ("" while pending).
  virtual std::string Log(uint64_t index) = 0;
  virtual TaskInfo Info(uint64_t index) = 0;
  virtual void Cancel() = 0;
};

// Blocks until done() holds or the deadline passes; re-evaluates done() each
// time any task of any job in this process finishes. Draws a progress bar of
// progress() = {finished, total} on stderr as the options ask. Returns done().
bool WaitUntil(const std::function<bool()>& done,
               const std::function<std::pair<uint64_t, uint64_t>()>& progress,
               std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace internal

template <class T>
class Future {
 public:
  Future(std::shared_ptr<internal::JobHandle> job, uint64_t index)
      : job_(std::move(job)), index_(index) {}

  // Blocks until the task finishes and returns its result.
  // Throws TaskError if the task failed, Error(kCancelled) if cancelled,
  // Error(kCorruption) if the stored result does not decode.
  T Result() const {
    return internal::Decode<T>(job_->ResultBytes(index_), "task result");
  }
  TaskState State() const { return job_->State(index_); }
  bool Done() const { return State() != TaskState::kPending; }
  std::string Log() const { return job_->Log(index_); }
  TaskInfo Info() const { return job_->Info(index_); }
  uint64_t index() const { return index_; }
  const std::string& job_id() const { return job_->id(); }
  // Cancels the whole job this task belongs to.
  void CancelJob() const { job_->Cancel(); }

 private:
  std::shared_ptr<internal::JobHandle> job_;
  uint64_t index_;
};

enum class WaitMode { kAllCompleted, kAnyCompleted, kAlways };
inline constexpr WaitMode ALL_COMPLETED = WaitMode::kAllCompleted;
inline constexpr WaitMode ANY_COMPLETED = WaitMode::kAnyCompleted;
inline constexpr WaitMode ALWAYS = WaitMode::kAlways;

template <class T>
struct WaitResult {
  std::vector<Future<T>> done;
  std::vector<Future<T>> not_done;
};

// Waits until all (ALL_COMPLETED) or at least one (ANY_COMPLETED) of futures
// finished, or not at all (ALWAYS), or until timeout passes; then splits them.
template <class T>
WaitResult<T> Wait(const std::vector<Future<T>>& futures,
                   WaitMode mode = ALL_COMPLETED,
                   std::optional<std::chrono::milliseconds> timeout = {}) {
  if (mode != ALWAYS && !futures.empty()) {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
    // For ALL_COMPLETED a cursor walks the futures once in all, so waiting
    // for n tasks costs O(n) however they finish; progress is counted only
    // when the bar is redrawn.
    size_t cursor = 0;
    auto done = [&] {
      if (mode == ALL_COMPLETED) {
        while (cursor < futures.size() && futures[cursor].Done()) ++cursor;
        return cursor == futures.size();
      }
      for (const auto& f : futures) {
        if (f.Done()) return true;
      }
      return false;
    };
    auto progress = [&] {
      uint64_t finished = 0;
      for (const auto& f : futures) finished += f.Done();
      return std::pair{finished, uint64_t(futures.size())};
    };
    internal::WaitUntil(done, progress, deadline);
  }
  WaitResult<T> result;
  for (const auto& f : futures) {
    (f.Done() ? result.done : result.not_done).push_back(f);
  }
  return result;
}

// Waits for every future (with a progress bar) and returns the results in
// order. Throws the first failure in task order.
template <class T>
std::vector<T> GetAllResults(const std::vector<Future<T>>& futures) {
  Wait(futures, ALL_COMPLETED);
  std::vector<T> results;
  results.reserve(futures.size());
  for (const auto& f : futures) results.push_back(f.Result());
  return results;
}

}  // namespace tern
