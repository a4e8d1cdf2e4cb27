// End to end on real infrastructure: no-op tasks through a Redis coordinator
// and an S3 store, run by two worker agents (as `tern worker` runs them), with
// the coordinator round trips per task counted on the Redis server itself
// (INFO stats: total_commands_processed before and after the job).
//
//   TERN_BENCH_REDIS_URI=redis://... TERN_BENCH_S3_URI=s3://...
//   build/bench/agents_throughput [tasks] [runs]
// scripts/redis-server-start.sh and scripts/s3-server-start.sh print both.
#include <signal.h>
#include <sys/wait.h>

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
           credentials.substr(colon + 1);
  }
  size_t colon = host.find(':');
  return " -h " + host.substr(0, colon) + " -p " + host.substr(colon + 1) +
         auth;
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
  std::printf("%-30s %12s %22s\n", "mode", "tasks/s", "Redis commands / task");
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
    std::printf("%-30s %12.0f %22.2f\n",
                reuse ? "reused processes" : "fresh process per task",
                tern::bench::Median(rates), tern::bench::Median(commands));
  }
  for (pid_t pid : agents) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  std::filesystem::remove_all(cache);
}
