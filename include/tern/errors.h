// tern's error model: exceptions throughout, one small hierarchy.
//
// Every failure tern reports is a tern::Error carrying one of a fixed handful
// of codes, so callers can branch on what happened without parsing messages. A
// failed task surfaces as tern::TaskError, which adds the task index, what kind
// of failure it was, the remote exception's type and message, and the attempt's
// captured output. docs/error-model.md explains the choice.
//
// Messages name the thing that failed (the key, the URI, the endpoint, the
// task) and never contain secrets.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tern {

enum class ErrorCode {
  kInvalidArgument,   // malformed config, URI, key or options
  kNotFound,          // a key, object, job or directory that does not exist
  kCorruption,        // stored bytes that fail to decode or verify
  kIOError,           // the local file system failed
  kUnavailable,       // a server could not be reached, or timed out
  kPermissionDenied,  // wrong credentials, or a runtime whose hash differs
  kTaskFailed,        // a user function failed; see TaskError
  kCancelled,         // the job was cancelled
  kTimeout,           // a client-side wait ran out
};

// Short lower-case name of a code, e.g. "not found".
const char* ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// How a task attempt failed.
enum class FailureKind {
  kUserException,   // the function threw
  kCrash,           // the process died on a signal (segfault, abort, ...)
  kTimeout,         // the attempt ran past the job's task timeout
  kOutOfMemory,     // the attempt exceeded the job's memory limit
  kInfrastructure,  // tern could not run it (runtime mismatch, lost input, ...)
  kWorkerLost,      // the worker died and attempts ran out
};

const char* FailureKindName(FailureKind kind);

// Thrown by Future<T>::Result() when the task failed. what() reads like
// "task 17 failed (user exception): std::invalid_argument: bad sigma".
class TaskError : public Error {
 public:
  TaskError(uint64_t task_index, FailureKind kind, std::string type,
            std::string message, std::string log, int attempt);

  uint64_t task_index() const { return task_index_; }
  FailureKind kind() const { return kind_; }
  // The remote exception's type (demangled), or the signal's name for a crash.
  const std::string& type() const { return type_; }
  // The remote exception's what(), or a description of the crash or limit.
  const std::string& message() const { return message_; }
  // Captured stdout and stderr of the failing attempt (may be truncated).
  const std::string& log() const { return log_; }
  int attempt() const { return attempt_; }

 private:
  uint64_t task_index_;
  FailureKind kind_;
  std::string type_;
  std::string message_;
  std::string log_;
  int attempt_;
};

}  // namespace tern
