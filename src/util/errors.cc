#include "tern/errors.h"

#include <utility>

namespace tern {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIOError:
      return "I/O error";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kTaskFailed:
      return "task failed";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kTimeout:
      return "timeout";
  }
  return "unknown";
}

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kUserException:
      return "user exception";
    case FailureKind::kCrash:
      return "crash";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kOutOfMemory:
      return "out of memory";
    case FailureKind::kInfrastructure:
      return "infrastructure";
    case FailureKind::kWorkerLost:
      return "worker lost";
  }
  return "unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

namespace {
std::string Describe(uint64_t index, FailureKind kind, const std::string& type,
                     const std::string& message, int attempt) {
  std::string text = "task " + std::to_string(index) + " failed (" +
                     FailureKindName(kind) + ", attempt " +
                     std::to_string(attempt) + ")";
  if (!type.empty()) text += ": " + type;
  if (!message.empty()) text += (type.empty() ? ": " : ": ") + message;
  return text;
}
}  // namespace

TaskError::TaskError(uint64_t task_index, FailureKind kind, std::string type,
                     std::string message, std::string log, int attempt)
    : Error(ErrorCode::kTaskFailed,
            Describe(task_index, kind, type, message, attempt)),
      task_index_(task_index),
      kind_(kind),
      type_(std::move(type)),
      message_(std::move(message)),
      log_(std::move(log)),
      attempt_(attempt) {}

}  // namespace tern
