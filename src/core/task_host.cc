#include "core/task_host.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/frames.h"
#include "core/records.h"

namespace tern::internal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kMaxLogBytes = 1 << 20;  // keep the last 1 MiB per task
constexpr auto kMemoryCheckInterval = std::chrono::milliseconds(50);

struct HostBatch {
  FunctionRef function;
  std::string extra;
  std::vector<std::string> inputs;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(function, extra, inputs);
  }
};

struct HostOutcome {
  bool ok = false;
  int kind = 0;
  std::string type, message, payload;
  uint64_t log_end = 0;
  int64_t started_us = 0, finished_us = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(ok, kind, type, message, payload, log_end, started_us, finished_us);
  }
};

[[noreturn]] void SystemFailure(const char* what) {
  throw Error(ErrorCode::kIOError,
              std::string("task host: ") + what + ": " + std::strerror(errno));
}

// Field 0 of /proc/<pid>/statm is the virtual size, field 1 the resident set.
uint64_t ProcessMemory(pid_t pid, int field) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t pages[2] = {0, 0};
  statm >> pages[0] >> pages[1];
  return pages[field] * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  std::string name =
      abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
  const char* description = strsignal(signal);
  return description ? name + " (" + description + ")" : name;
}

// ---- The child side.

HostOutcome RunOne(const HostWork& work, const std::string& input,
                   MapResultReader* reader) {
  HostOutcome outcome;
  outcome.started_us = NowMicros();
  try {
    auto trampoline = reinterpret_cast<Trampoline>(
        const_cast<void*>(Resolve(work.function.trampoline)));
    outcome.payload =
        trampoline(Call{work.function.state, input, work.extra, reader});
    outcome.ok = true;
  } catch (const std::bad_alloc&) {
    outcome.kind = static_cast<int>(FailureKind::kOutOfMemory);
    outcome.type = "std::bad_alloc";
    outcome.message = "memory allocation failed (the memory limit was reached)";
  } catch (const std::exception& e) {
    outcome.kind = static_cast<int>(FailureKind::kUserException);
    outcome.type = Demangle(typeid(e).name());
    outcome.message = e.what();
  } catch (...) {
    outcome.kind = static_cast<int>(FailureKind::kUserException);
    const std::type_info* type = abi::__cxa_current_exception_type();
    outcome.type = type ? Demangle(type->name()) : "unknown exception";
    outcome.message = "a non-std::exception was thrown";
  }
  outcome.finished_us = NowMicros();
  return outcome;
}

}  // namespace

void RunBatch(const HostWork& work, int out_fd, MapResultReader* reader) {
  for (const std::string& input : work.inputs) {
    HostOutcome outcome = RunOne(work, input, reader);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    struct stat st {};
    fstat(STDOUT_FILENO, &st);
    outcome.log_end = st.st_size;
    if (!WriteFrame(out_fd, Encode(outcome))) std::_Exit(0);
  }
}

void HostMain(int in_fd, int out_fd, const HostWork* first,
              MapResultReader* reader) {
  if (first) {  // a fresh process for this work alone
    RunBatch(*first, out_fd, reader);
    std::_Exit(0);
  }
  for (;;) {
    std::string frame;
    if (!ReadFrame(in_fd, &frame)) std::_Exit(0);
    auto batch = Decode<HostBatch>(frame, "task batch");
    RunBatch(HostWork{batch.function, batch.extra, batch.inputs}, out_fd,
             reader);
  }
}

// ---- The supervisor side.

TaskHost::TaskHost(MapResultReader* reader) : reader_(reader) {
  log_fd_ = memfd_create("tern-task-log", MFD_CLOEXEC);
  if (log_fd_ < 0) SystemFailure("memfd_create");
  signal(SIGPIPE, SIG_IGN);  // a dead host must not kill its supervisor
}

TaskHost::~TaskHost() {
  Kill();
  close(log_fd_);
}

void TaskHost::Kill() {
  if (pid_ < 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  close(pidfd_);
  close(to_host_);
  close(from_host_);
  pid_ = -1;
}

void TaskHost::Spawn(const HostLimits& limits, const HostWork* work) {
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0)
    SystemFailure("pipe");
  ftruncate(log_fd_, 0);
  log_read_ = 0;
  std::fflush(nullptr);
  uint64_t baseline_size = 0;
  if (limits.memory_limit_bytes > 0) {
    baseline_rss_ = ProcessMemory(getpid(), 1);
    baseline_size = ProcessMemory(getpid(), 0);
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) SystemFailure("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) std::_Exit(1);
    int log = fcntl(log_fd_, F_DUPFD, 3);
    fcntl(log, F_SETFL, O_APPEND);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    // Line-buffered like a terminal, so stdout and stderr interleave in the log
    // as the user would have seen them.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    // A crashing task is reported by its signal; its memory image is the
    // user's data and must not be left on the worker's disk.
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (limits.memory_limit_bytes > 0) {
      rlim_t cap = baseline_size + limits.memory_limit_bytes;
      rlimit limit{cap, cap};
      setrlimit(RLIMIT_AS, &limit);
    }
    HostMain(down[0], up[1], work, reader_);
  }
  close(down[0]);
  close(up[1]);
  pid_ = pid;
  to_host_ = down[1];
  from_host_ = up[0];
  fcntl(from_host_, F_SETFL, O_NONBLOCK);
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ < 0) SystemFailure("pidfd_open");
}

std::string TaskLog(int fd, uint64_t begin, uint64_t end) {
  std::string log;
  if (end <= begin) return log;
  if (end - begin > kMaxLogBytes) {
    log = "[tern: " + std::to_string(end - begin - kMaxLogBytes) +
          " earlier bytes of output dropped]\n";
    begin = end - kMaxLogBytes;
  }
  size_t prefix = log.size();
  log.resize(prefix + (end - begin));
  ssize_t n = pread(fd, log.data() + prefix, end - begin, begin);
  log.resize(prefix + std::max<ssize_t>(n, 0));
  return log;
}

Outcome TaskHost::Reap(FailureKind killed_for, const std::string& why) {
  int status = 0;
  kill(pid_, SIGKILL);  // no-op when it already died
  waitpid(pid_, &status, 0);
  struct stat st {};
  fstat(log_fd_, &st);
  Outcome outcome;
  outcome.log = TaskLog(log_fd_, log_read_, st.st_size);
  outcome.finished_us = NowMicros();
  outcome.kind = killed_for;
  if (!why.empty()) {
    outcome.type =
        killed_for == FailureKind::kTimeout ? "timeout" : "memory limit";
    outcome.message = why;
  } else if (WIFSIGNALED(status)) {
    outcome.kind = FailureKind::kCrash;
    outcome.type = SignalName(WTERMSIG(status));
    outcome.message = "the task process was killed by " + outcome.type;
  } else {
    outcome.kind = FailureKind::kCrash;
    outcome.type = "exit";
    outcome.message = "the task process exited with status " +
                      std::to_string(WEXITSTATUS(status)) + " before returning";
  }
  pid_ = -1;
  close(pidfd_);
  close(to_host_);
  close(from_host_);
  return outcome;
}

std::vector<Outcome> TaskHost::Run(
    const FunctionRef& fn, const std::string& extra,
    const std::vector<std::string>& inputs, const HostLimits& limits,
    const Heartbeat& heartbeat, std::chrono::milliseconds heartbeat_interval) {
  // A reused host serves any job whose memory limit (fixed at its fork) fits.
  if (pid_ >= 0 && host_memory_limit_ != limits.memory_limit_bytes) Kill();
  std::vector<Outcome> outcomes;
  outcomes.reserve(inputs.size());
  while (outcomes.size() < inputs.size()) {
    size_t first = outcomes.size();
    size_t count = limits.reuse ? inputs.size() - first : 1;
    HostWork work{fn, extra, std::span(inputs).subspan(first, count)};
    // A fresh process inherits its work through fork(); a reused one is sent
    // it.
    if (!limits.reuse) {
      Spawn(limits, &work);
    } else if (pid_ < 0) {
      Spawn(limits, nullptr);
      host_memory_limit_ = limits.memory_limit_bytes;
    }
    if (!RunInHost(work, limits.reuse, limits, heartbeat, heartbeat_interval,
                   outcomes)) {
      Kill();
      while (outcomes.size() < inputs.size()) {
        outcomes.emplace_back().cancelled = true;
      }
    }
    if (!limits.reuse && pid_ >= 0) {  // a fresh-process host exits by itself
      waitpid(pid_, nullptr, 0);
      close(pidfd_);
      close(to_host_);
      close(from_host_);
      pid_ = -1;
    }
  }
  return outcomes;
}

bool TaskHost::RunInHost(const HostWork& work, bool send,
                         const HostLimits& limits, const Heartbeat& heartbeat,
                         std::chrono::milliseconds heartbeat_interval,
                         std::vector<Outcome>& outcomes) {
  bool sent = true;
  if (send) {
    HostBatch batch{work.function,
                    std::string(work.extra),
                    {work.inputs.begin(), work.inputs.end()}};
    sent = WriteFrame(to_host_, Encode(batch));
  }
  size_t count = work.inputs.size();
  FrameReader reader(from_host_);
  size_t done = 0;
  auto task_start = Clock::now();
  auto next_heartbeat = task_start + heartbeat_interval;
  while (done < count) {
    auto now = Clock::now();
    auto wake = next_heartbeat;
    if (limits.timeout.count() > 0)
      wake = std::min(wake, task_start + limits.timeout);
    if (limits.memory_limit_bytes > 0)
      wake = std::min(wake, now + kMemoryCheckInterval);
    pollfd fds[2] = {{from_host_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
    int wait_ms = static_cast<int>(std::max<int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(wake - now).count()));
    if (sent) poll(fds, 2, wait_ms);
    std::string frame;
    bool open = sent && reader.Fill();
    while (done < count && reader.Next(&frame)) {
      auto host_outcome = Decode<HostOutcome>(frame, "task outcome");
      Outcome& outcome = outcomes.emplace_back();
      outcome.ok = host_outcome.ok;
      outcome.kind = static_cast<FailureKind>(host_outcome.kind);
      outcome.type = std::move(host_outcome.type);
      outcome.message = std::move(host_outcome.message);
      outcome.payload = std::move(host_outcome.payload);
      outcome.started_us = host_outcome.started_us;
      outcome.finished_us = host_outcome.finished_us;
      outcome.log = TaskLog(log_fd_, log_read_, host_outcome.log_end);
      log_read_ = host_outcome.log_end;
      ++done;
      task_start = Clock::now();
    }
    if (done == count) break;
    now = Clock::now();
    if (!open || (fds[1].revents & POLLIN)) {
      outcomes.push_back(Reap(FailureKind::kCrash, ""));
      return true;
    }
    if (limits.timeout.count() > 0 && now >= task_start + limits.timeout) {
      outcomes.push_back(Reap(FailureKind::kTimeout,
                              "the task ran longer than its timeout of " +
                                  std::to_string(limits.timeout.count()) +
                                  " ms"));
      return true;
    }
    if (limits.memory_limit_bytes > 0 &&
        ProcessMemory(pid_, 1) > baseline_rss_ + limits.memory_limit_bytes) {
      outcomes.push_back(Reap(FailureKind::kOutOfMemory,
                              "the task's memory grew past its limit of " +
                                  std::to_string(limits.memory_limit_bytes) +
                                  " bytes"));
      return true;
    }
    if (now >= next_heartbeat) {
      Verdict verdict = heartbeat(outcomes.size(), now - task_start);
      if (verdict == Verdict::kCancelAll) return false;
      if (verdict == Verdict::kAbandonTask) {
        Kill();
        Outcome& outcome = outcomes.emplace_back();
        outcome.cancelled = true;
        return true;
      }
      next_heartbeat = Clock::now() + heartbeat_interval;
    }
  }
  return true;
}

}  // namespace tern::internal
