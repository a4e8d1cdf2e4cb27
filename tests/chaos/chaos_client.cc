// chaos_client: runs a map of many short tasks while a killer thread SIGKILLs
// worker processes at random, then checks that every result came back, once,
// and right ("Nothing lost").
//
//   chaos_client [--tasks N] [--agents PID,PID...] [--baseline-tasks M]
//                [--kill-min-ms 100] [--kill-max-ms 500] [--lease-ms 400]
//                [--max-attempts 50] [--deadline-s 600] [--large-every 100]
//                [--pause-percent 0] [--pause-ms 2.5 leases] [--seed S]
//
// The task is a 64-bit mix of its input (checkable) after a 0-2 ms sleep, so
// that tasks overlap the kills; every large_every-th result is large enough to
// go through the object store. With the local backend the victims are this
// process's own children (the workers it spawned; their task processes die
// with them). With --agents (and TERN_BACKEND=agents) they are the children
// of the given `tern worker` agents. Before the chaos run the same map runs
// without kills (over M tasks, scaled to N) as the baseline. With
// --pause-percent P, P% of the hits SIGSTOP a worker past its leases and
// SIGCONT it after --pause-ms, which makes late, losing duplicate commits
// (when the task's message was leased again before the paused worker acks
// it: its redelivery queues behind the rest, so long pauses do that best).
//
// Prints one line (with " pauses=P" at the end when pausing):
//   chaos: tasks=N kills=K retried=R duplicates_discarded=D lost=L wrong=W
//          wall=Xs baseline=Ys overhead=Z%
// and exits 0 only if lost == 0 and wrong == 0. Stores, coordinator, backend
// and the rest come from tern's configuration (TERN_* variables); the lease
// and max_attempts default to the values above unless TERN_LEASE or
// TERN_MAX_ATTEMPTS are set, and the flags win over both.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tern/coordinator.h"
#include "tern/tern.h"

namespace {

using Clock = std::chrono::steady_clock;

// splitmix64's finaliser: the expected result of task x.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Task x's result: Mix(x), or for every large_every-th task 10,000 words
// (80 KB, past the 64 KiB inline limit) so that some results travel through
// the object store, as large ones do, and a lost or mixed-up object shows.
std::vector<uint64_t> Expected(uint64_t x, uint64_t large_every) {
  size_t words = large_every > 0 && x % large_every == 0 ? 10000 : 1;
  std::vector<uint64_t> result(words);
  for (size_t j = 0; j < words; ++j) result[j] = Mix(x + (j << 48));
  return result;
}

std::vector<uint64_t> ChaosTask(uint64_t x, uint64_t large_every) {
  usleep(static_cast<useconds_t>(Mix(x ^ 0x5eed) % 2001));  // 0-2 ms
  return Expected(x, large_every);
}

struct Args {
  uint64_t tasks = 10000;
  uint64_t baseline_tasks = 0;  // 0: min(tasks, 2000)
  std::vector<pid_t> agents;
  int kill_min_ms = 100;
  int kill_max_ms = 500;
  int lease_ms = 0;      // 0: TERN_LEASE, else 400
  int max_attempts = 0;  // 0: TERN_MAX_ATTEMPTS, else 50
  int deadline_s = 600;
  uint64_t large_every = 100;  // 0: no large results
  int pause_percent = 0;       // of the hits that pause instead of killing
  int pause_ms = 0;            // how long; 0: 2.5 leases
  uint64_t seed = 0;           // 0: random
};

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr,
               "chaos_client: %s\nusage: chaos_client [--tasks N] "
               "[--agents PID,PID...] [--baseline-tasks M] [--kill-min-ms A] "
               "[--kill-max-ms B] [--lease-ms L] [--max-attempts K] "
               "[--deadline-s S] [--large-every K] [--pause-percent P] "
               "[--pause-ms T] [--seed S]\n",
               problem.c_str());
  std::exit(2);
}

uint64_t Number(const std::string& flag, const char* text) {
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (!*text || *end) Usage("bad number for " + flag + ": " + text);
  return value;
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value for " + flag);
    const char* value = argv[++i];
    if (flag == "--tasks") {
      args.tasks = Number(flag, value);
    } else if (flag == "--baseline-tasks") {
      args.baseline_tasks = Number(flag, value);
    } else if (flag == "--kill-min-ms") {
      args.kill_min_ms = static_cast<int>(Number(flag, value));
    } else if (flag == "--kill-max-ms") {
      args.kill_max_ms = static_cast<int>(Number(flag, value));
    } else if (flag == "--lease-ms") {
      args.lease_ms = static_cast<int>(Number(flag, value));
    } else if (flag == "--max-attempts") {
      args.max_attempts = static_cast<int>(Number(flag, value));
    } else if (flag == "--deadline-s") {
      args.deadline_s = static_cast<int>(Number(flag, value));
    } else if (flag == "--pause-ms") {
      args.pause_ms = static_cast<int>(Number(flag, value));
    } else if (flag == "--pause-percent") {
      args.pause_percent = static_cast<int>(Number(flag, value));
    } else if (flag == "--large-every") {
      args.large_every = Number(flag, value);
    } else if (flag == "--seed") {
      args.seed = Number(flag, value);
    } else if (flag == "--agents") {
      std::stringstream list(value);
      std::string pid;
      while (std::getline(list, pid, ',')) {
        if (!pid.empty())
          args.agents.push_back(static_cast<pid_t>(Number(flag, pid.c_str())));
      }
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (args.tasks == 0) Usage("--tasks must be at least 1");
  if (args.kill_min_ms < 1 || args.kill_max_ms < args.kill_min_ms)
    Usage("need 1 <= --kill-min-ms <= --kill-max-ms");
  if (args.pause_percent > 100) Usage("--pause-percent must be 0-100");
  if (args.baseline_tasks == 0)
    args.baseline_tasks = std::min<uint64_t>(args.tasks, 2000);
  return args;
}

// What /proc/<pid>/stat says of a process: its state letter and parent.
struct ProcStat {
  char state = 0;
  long ppid = -1;
  bool Live() const { return state != 'Z' && state != 'X'; }
};

std::optional<ProcStat> ReadStat(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(file, stat)) return std::nullopt;
  // pid (comm) state ppid ...; comm may hold spaces and parentheses.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 1));
  ProcStat result;
  if (!(rest >> result.state >> result.ppid)) return std::nullopt;
  return result;
}

bool Alive(pid_t pid) {
  std::optional<ProcStat> stat = ReadStat(pid);
  return stat && stat->Live();
}

// The live (not zombie) children of parent.
std::vector<pid_t> LiveChildren(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != name.npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    std::optional<ProcStat> stat = ReadStat(pid);
    if (stat && stat->ppid == parent && stat->Live()) children.push_back(pid);
  }
  return children;
}

// A pidfd for pid if it is still a child of parent, else -1. A pidfd names
// one process: a signal sent through it fails once that process has exited,
// even if its PID was reused. The parent is checked after opening, so the
// process named is the parent's child (the one listed, or a newer one).
int ChildPidfd(pid_t pid, pid_t parent) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return -1;
  std::optional<ProcStat> stat = ReadStat(pid);
  if (!stat || stat->ppid != parent) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Signal(int pidfd, int signal) {
  return syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0;
}

// Every kill_min_ms..kill_max_ms hits a random worker: SIGKILL, or (in
// pause_percent of the cases) SIGSTOP for pause_ms and then SIGCONT, so that
// the worker loses its leases, the tasks run again elsewhere, and the paused
// attempt commits late as a losing duplicate.
class Killer {
 public:
  Killer(std::vector<pid_t> parents, const Args& args, uint64_t seed,
         std::chrono::milliseconds lease)
      : parents_(std::move(parents)),
        args_(args),
        pause_for_(args.pause_ms > 0 ? std::chrono::milliseconds(args.pause_ms)
                                     : lease * 5 / 2),
        random_(seed) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Killer() { Stop(); }

  // Stops hitting workers and resumes the paused ones.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  int kills() const { return kills_; }
  int pauses() const { return pauses_; }

 private:
  struct Paused {
    int pidfd;
    Clock::time_point until;
  };

  void Run() {
    std::uniform_int_distribution<int> interval(args_.kill_min_ms,
                                                args_.kill_max_ms);
    std::uniform_int_distribution<int> percent(0, 99);
    std::unique_lock lock(mutex_);
    auto next = Clock::now() + std::chrono::milliseconds(interval(random_));
    while (!stop_) {
      auto wake = next;
      for (const Paused& p : paused_) wake = std::min(wake, p.until);
      wake_.wait_until(lock, wake, [this] { return stop_; });
      Resume(stop_ ? Clock::time_point::max() : Clock::now());
      if (stop_ || Clock::now() < next) continue;
      next = Clock::now() + std::chrono::milliseconds(interval(random_));
      std::vector<std::pair<pid_t, pid_t>> victims;  // {child, parent}
      for (pid_t parent : parents_) {
        for (pid_t child : LiveChildren(parent))
          victims.emplace_back(child, parent);
      }
      if (victims.empty()) continue;
      std::uniform_int_distribution<size_t> pick(0, victims.size() - 1);
      auto [child, parent] = victims[pick(random_)];
      int pidfd = ChildPidfd(child, parent);
      if (pidfd < 0) continue;
      if (percent(random_) < args_.pause_percent && Signal(pidfd, SIGSTOP)) {
        ++pauses_;
        paused_.push_back({pidfd, Clock::now() + pause_for_});
        continue;
      }
      kills_ += Signal(pidfd, SIGKILL);
      close(pidfd);
    }
  }

  // SIGCONTs the workers paused until now or earlier.
  void Resume(Clock::time_point now) {
    std::erase_if(paused_, [now](const Paused& p) {
      if (p.until > now) return false;
      Signal(p.pidfd, SIGCONT);
      close(p.pidfd);
      return true;
    });
  }

  std::vector<pid_t> parents_;
  Args args_;
  Clock::duration pause_for_;
  std::mt19937_64 random_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<Paused> paused_;
  std::atomic<int> kills_{0}, pauses_{0};
  std::thread thread_;
};

std::vector<uint64_t> Inputs(uint64_t n, uint64_t offset) {
  std::vector<uint64_t> inputs(n);
  std::iota(inputs.begin(), inputs.end(), offset);
  return inputs;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

tern::ExecutorOptions ChaosOptions(const Args& args) {
  tern::ExecutorOptions options = tern::LoadOptions();
  if (args.lease_ms > 0) {
    options.lease = std::chrono::milliseconds(args.lease_ms);
  } else if (!std::getenv("TERN_LEASE")) {
    options.lease = std::chrono::milliseconds(400);
  }
  if (args.max_attempts > 0) {
    options.max_attempts = args.max_attempts;
  } else if (!std::getenv("TERN_MAX_ATTEMPTS")) {
    options.max_attempts = 50;
  }
  options.progress = "never";
  return options;
}

// The baseline: the same map without kills, its wall time scaled to tasks.
// Adds its wrong results (there should be none) to *wrong.
double Baseline(tern::Executor& ex, const Args& args, uint64_t* wrong) {
  auto start = Clock::now();
  auto futures =
      ex.Map(ChaosTask, Inputs(args.baseline_tasks, 0), args.large_every);
  std::vector<std::vector<uint64_t>> results = tern::GetAllResults(futures);
  double seconds = Seconds(Clock::now() - start);
  for (uint64_t i = 0; i < results.size(); ++i) {
    if (results[i] != Expected(i, args.large_every)) {
      ++*wrong;
      std::fprintf(stderr, "chaos: baseline task %llu is wrong\n",
                   static_cast<unsigned long long>(i));
    }
  }
  return seconds * static_cast<double>(args.tasks) /
         static_cast<double>(args.baseline_tasks);
}

// Waits until every future is done. Returns "" if they all are, else why it
// gave up: the deadline passed, or (agents) every agent has exited, so that
// nothing can run the remaining tasks.
template <class T>
std::string WaitForAll(const std::vector<tern::Future<T>>& futures,
                       const std::vector<pid_t>& agents, bool agents_backend,
                       Clock::time_point deadline) {
  for (;;) {
    auto slice = std::min(deadline - Clock::now(),
                          Clock::duration(std::chrono::seconds(1)));
    auto waited = tern::Wait(
        futures, tern::ALL_COMPLETED,
        std::chrono::duration_cast<std::chrono::milliseconds>(slice));
    if (waited.not_done.empty()) return "";
    if (Clock::now() >= deadline) return "the deadline passed";
    if (agents_backend && std::none_of(agents.begin(), agents.end(), Alive)) {
      std::fprintf(stderr,
                   "chaos: every agent has exited with %zu tasks unfinished\n",
                   waited.not_done.size());
      return "every agent has exited";
    }
  }
}

int Run(const Args& args) {
  uint64_t seed = args.seed ? args.seed : std::random_device{}();
  tern::Executor ex(ChaosOptions(args));
  const bool agents = ex.options().backend == "agents";
  if (agents && args.agents.empty()) Usage("backend agents needs --agents");
  if (!agents && !args.agents.empty())
    Usage("--agents needs TERN_BACKEND=agents");

  std::fprintf(stderr, "chaos: seed %llu, lease %lld ms, max_attempts %d\n",
               static_cast<unsigned long long>(seed),
               static_cast<long long>(ex.options().lease.count()),
               ex.options().max_attempts);
  uint64_t wrong = 0;
  double baseline = Baseline(ex, args, &wrong);

  std::vector<pid_t> parents = agents ? args.agents : std::vector{getpid()};
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(args.deadline_s);
  auto futures = ex.Map(ChaosTask, Inputs(args.tasks, 0), args.large_every);
  std::fprintf(stderr, "chaos: job %s started\n",
               futures.front().job_id().c_str());
  Killer killer(parents, args, seed, ex.options().lease);
  std::string gave_up = WaitForAll(futures, parents, agents, deadline);
  killer.Stop();
  auto [done, not_done] = tern::Wait(futures, tern::ALWAYS);
  double wall = Seconds(Clock::now() - start);

  uint64_t lost = not_done.size(), retried = 0, reported = 0;
  for (const auto& future : done) {
    retried += future.Info().attempt > 1;
    try {
      if (future.Result() != Expected(future.index(), args.large_every)) {
        ++wrong;
        if (reported++ < 10)
          std::fprintf(stderr, "chaos: task %llu: wrong result\n",
                       static_cast<unsigned long long>(future.index()));
      }
    } catch (const std::exception& e) {
      ++lost;
      if (reported++ < 10)
        std::fprintf(stderr, "chaos: task %llu: %s\n",
                     static_cast<unsigned long long>(future.index()), e.what());
    }
  }
  for (size_t i = 0; i < not_done.size() && reported < 10; ++i, ++reported) {
    std::fprintf(stderr, "chaos: task %llu: no result (%s)\n",
                 static_cast<unsigned long long>(not_done[i].index()),
                 gave_up.c_str());
  }
  if (!not_done.empty()) {
    try {
      futures.front().CancelJob();  // stop the workers
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chaos: cannot cancel the job: %s\n", e.what());
    }
  }

  // Workers resumed by Stop() commit their late duplicates within moments;
  // give them that before reading the count.
  if (killer.pauses() > 0) std::this_thread::sleep_for(std::chrono::seconds(2));
  // Read with retries: the coordinator may be restarting (chaos.sh does).
  int64_t discarded = -1;
  for (int attempt = 1; discarded < 0; ++attempt) {
    try {
      auto coordinator = tern::Coordinator::Open(ex.options().coordinator);
      discarded = coordinator->Add(
          "jobs/" + futures.front().job_id() + "/discarded", 0);
    } catch (const std::exception& e) {
      if (attempt == 10) {
        std::fprintf(stderr, "chaos: cannot read the discarded count: %s\n",
                     e.what());
        break;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  std::printf(
      "chaos: tasks=%llu kills=%d retried=%llu duplicates_discarded=%lld "
      "lost=%llu wrong=%llu wall=%.1fs baseline=%.1fs overhead=%.0f%%",
      static_cast<unsigned long long>(args.tasks), killer.kills(),
      static_cast<unsigned long long>(retried),
      static_cast<long long>(discarded), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(wrong), wall, baseline,
      baseline > 0 ? (wall / baseline - 1) * 100 : 0.0);
  if (args.pause_percent > 0) std::printf(" pauses=%d", killer.pauses());
  std::printf("\n");
  std::fflush(stdout);
  return lost == 0 && wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  Args args = ParseArgs(argc, argv);
  try {
    return Run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chaos: %s\n", e.what());
    return 1;
  }
}
