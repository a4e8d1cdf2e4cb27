// The one place that decides what follows a failed attempt: report the
// failure for good, or run the task again after a backoff.
//
// A task's own failure (it threw, crashed, ran out of time or memory) is
// reported at once: a function that failed on an input would most likely fail
// again, and the user wants to know now. A failure of the infrastructure
// around it (an input object not found, a store that did not answer) is not the
// task's fault and is retried with exponential backoff and jitter until the
// job's max_attempts is used up. A worker that dies mid-task is retried through
// its expired lease; past max_attempts its task is reported lost.
#pragma once

#include <chrono>

#include "tern/errors.h"

namespace tern::internal {

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds backoff{0};  // when retrying
};

// attempt is 1-based.
RetryDecision DecideRetry(FailureKind kind, int attempt, int max_attempts);

// 100 ms doubling per attempt up to 10 s, with +-50% jitter.
std::chrono::milliseconds Backoff(int attempt);

}  // namespace tern::internal
