#include "core/retry_policy.h"

#include <algorithm>
#include <random>

namespace tern::internal {

std::chrono::milliseconds Backoff(int attempt) {
  constexpr double kBaseMs = 100, kCapMs = 10000;
  double base =
      std::min(kCapMs, kBaseMs * (1 << std::clamp(attempt - 1, 0, 16)));
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return std::chrono::milliseconds(static_cast<int64_t>(base * jitter(random)));
}

RetryDecision DecideRetry(FailureKind kind, int attempt, int max_attempts) {
  switch (kind) {
    case FailureKind::kInfrastructure:
      if (attempt < max_attempts) return {true, Backoff(attempt)};
      return {};
    case FailureKind::kUserException:
    case FailureKind::kCrash:
    case FailureKind::kTimeout:
    case FailureKind::kOutOfMemory:
    case FailureKind::kWorkerLost:
      return {};
  }
  return {};
}

}  // namespace tern::internal
