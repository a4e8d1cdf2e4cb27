// End to end on real infrastructure: no-op tasks through a Redis coordinator
// and an S3 store, run by two worker agents (as `tern worker` runs them), with
// the coordinator round trips per task counted on the Redis server itself:
// commands sent by clients (redis-cli MONITOR, in a separate run), and all
// commands executed, script-internal ones included (INFO stats).
//
//   TERN_BENCH_REDIS_URI=redis://... TERN_BENCH_S3_URI=s3://...
//   build/bench/agents_throughput [tasks] [runs]
// scripts/redis-server-start.sh and scripts/s3-server-start.sh print both.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <numeric>

#include "bench_util.h"
#include "core/agent.h"
#include "util/uri.h"

namespace {

int Noop(int x) { return x; }

// redis-cli arguments (-h -p --user -a) for a redis:// URI.
std::string RedisCliArgs(const std::string& text) {
  tern::Uri uri = tern::Uri::Parse(text);
  std::string host = uri.authority, auth;
  if (size_t at = host.rfind('@'); at != std::string::npos) {
    std::string credentials = host.substr(0, at);
    host = host.substr(at + 1);
    size_t colon = credentials.find(':');
    auth = " --user '" + credentials.substr(0, colon) + "' -a '" +
           credentials.substr(colon + 1) + "'";
  }
  size_t colon = host.find(':');
  return " -h " + host.substr(0, colon) + " -p " + host.substr(colon + 1) +
         auth;
}

// Starts `redis-cli MONITOR` writing to path; returns its PID. MONITOR lists
// every command a client sent (one round trip each) and marks the commands
// that Lua scripts ran on the server as "[0 lua]".
pid_t StartMonitor(const std::string& redis_uri, const std::string& path) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string command =
        "exec redis-cli" + RedisCliArgs(redis_uri) + " MONITOR > " + path;
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  usleep(200000);
  return pid;
}

// Round trips in a MONITOR log: the lines not run by a script.
double ClientCommands(const std::string& path) {
  std::ifstream log(path);
  double count = 0;
  for (std::string line; std::getline(log, line);) {
    count += line.find(" lua]") == std::string::npos &&
             line.find("] \"") != std::string::npos;
  }
  return count;
}

double CommandsProcessed(const std::string& redis_uri) {
  auto out =
      tern::bench::RunBaseline("redis-cli" + RedisCliArgs(redis_uri) +
                               " INFO stats | grep total_commands_processed");
  return out ? std::atof(out->c_str() + out->find(':') + 1) : 0;
}

pid_t StartAgent(const tern::ExecutorOptions& stores,
                 const std::string& cache) {
  pid_t pid = fork();
  if (pid == 0) {
    tern::internal::AgentOptions options;
    options.stores = stores;
    options.slots = 1;
    options.cache_dir = cache;
    options.poll = std::chrono::milliseconds(50);
    _exit(tern::internal::RunAgent(options));
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  const char* redis = std::getenv("TERN_BENCH_REDIS_URI");
  const char* s3 = std::getenv("TERN_BENCH_S3_URI");
  if (!redis || !s3) {
    std::fprintf(stderr, "set TERN_BENCH_REDIS_URI and TERN_BENCH_S3_URI\n");
    return 2;
  }
  int tasks = argc > 1 ? std::atoi(argv[1]) : 10000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  tern::ExecutorOptions options;
  options.store = s3;
  options.coordinator = redis;
  options.backend = "agents";
  options.progress = "never";
  char pattern[] = "/tmp/tern-bench-agents-XXXXXX";
  std::string cache = mkdtemp(pattern);
  std::vector<pid_t> agents = {StartAgent(options, cache + "/a"),
                               StartAgent(options, cache + "/b")};

  std::printf("\n%d no-op tasks, Redis + S3, two agents with one worker each\n",
              tasks);
  std::printf("%-24s %10s %18s %18s\n", "mode", "tasks/s", "round trips/task",
              "server cmds/task");
  for (bool reuse : {false, true}) {
    options.reuse_processes = reuse;
    tern::Executor ex(options);
    ex.CallAsync(Noop, 0).Result();  // agents have fetched the runtime
    std::vector<int> inputs(tasks);
    std::iota(inputs.begin(), inputs.end(), 0);
    std::vector<double> rates, commands;
    for (int run = 0; run < runs; ++run) {
      double before = CommandsProcessed(redis);
      auto start = std::chrono::steady_clock::now();
      tern::GetAllResults(ex.Map(Noop, inputs));
      rates.push_back(tasks / tern::bench::Seconds(
                                  std::chrono::steady_clock::now() - start));
      commands.push_back((CommandsProcessed(redis) - before) / tasks);
    }
    // One more run under MONITOR (which slows the server) to count round trips.
    std::string log = cache + "/monitor.log";
    pid_t monitor = StartMonitor(redis, log);
    tern::GetAllResults(ex.Map(Noop, inputs));
    kill(monitor, SIGTERM);
    waitpid(monitor, nullptr, 0);
    std::printf("%-24s %10.0f %18.2f %18.2f\n",
                reuse ? "reused processes" : "fresh process per task",
                tern::bench::Median(rates), ClientCommands(log) / tasks,
                tern::bench::Median(commands));
  }
  for (pid_t pid : agents) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  std::filesystem::remove_all(cache);
}
