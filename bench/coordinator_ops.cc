// Coordinator operations per second from one client, for SQLite and (when a
// server is given) Redis, next to redis-benchmark against the same server.
//
//   [TERN_BENCH_REDIS_URI=redis://user:pass@127.0.0.1:6379/0]
//   build/bench/coordinator_ops
// scripts/redis-server-start.sh starts a server and prints its URI.
#include <cstring>
#include <functional>

#include "bench_util.h"
#include "tern/coordinator.h"
#include "util/uri.h"

namespace {

using Clock = std::chrono::steady_clock;

double OpsPerSecond(int ops, const std::function<void(int)>& op) {
  auto start = Clock::now();
  for (int i = 0; i < ops; ++i) op(i);
  return ops / tern::bench::Seconds(Clock::now() - start);
}

void Row(const std::string& coordinator, const std::string& op, double rate) {
  std::printf("%-10s %-42s %12.0f\n", coordinator.c_str(), op.c_str(), rate);
}

void Measure(const std::string& name, const std::string& uri) {
  auto c = tern::Coordinator::Open(uri);
  const std::string value(100, 'v');
  const int n = 20000;
  Row(name, "Put (100 B)", OpsPerSecond(n, [&](int i) {
        c->Put("bench/k" + std::to_string(i), value);
      }));
  Row(name, "Get",
      OpsPerSecond(n, [&](int i) { c->Get("bench/k" + std::to_string(i)); }));
  Row(name, "Add", OpsPerSecond(n, [&](int) { c->Add("bench/counter", 1); }));
  Row(name, "Enqueue + Lease + Ack, one message (cycles/s)",
      OpsPerSecond(n / 4, [&](int) {
        c->Enqueue("bench/q1", {value});
        auto leased = c->Lease("bench/q1", 1, std::chrono::seconds(10),
                               std::chrono::milliseconds(0));
        c->Ack("bench/q1", {leased.at(0).id});
      }));
  // The worker's steady state: lease 64, commit 64 (records, events, acks).
  const int batch = 64, batches = n / batch;
  c->Enqueue("bench/q2", std::vector<std::string>(batch * batches, value));
  double messages =
      batch * OpsPerSecond(batches, [&](int b) {
        auto leased = c->Lease("bench/q2", batch, std::chrono::seconds(10),
                               std::chrono::milliseconds(0));
        std::vector<tern::Commit> commits;
        for (size_t i = 0; i < leased.size(); ++i) {
          commits.push_back({"bench/r" + std::to_string(b * batch + i), value,
                             "bench/events", "bench/q2", leased[i].id});
        }
        c->CommitResults(commits);
      });
  Row(name, "Lease(64) + CommitResults(64) (messages/s)", messages);
  c->DeletePrefix("bench/");
}

void RedisBenchmark(const std::string& uri_text) {
  tern::Uri uri = tern::Uri::Parse(uri_text);
  std::string auth, host = uri.authority;
  if (size_t at = host.rfind('@'); at != std::string::npos) {
    std::string user_password = host.substr(0, at);
    host = host.substr(at + 1);
    size_t colon = user_password.find(':');
    auth = " --user '" + user_password.substr(0, colon) + "' -a '" +
           user_password.substr(colon + 1) + "'";
  }
  std::string port = host.substr(host.find(':') + 1);
  host = host.substr(0, host.find(':'));
  for (const char* pipeline : {"1", "16"}) {
    auto output = tern::bench::RunBaseline(
        "redis-benchmark -h " + host + " -p " + port + auth +
        " -q -n 100000 -t set,get -P " + pipeline +
        " 2>/dev/null | tr '\\r' '\\n' | grep 'per second'");
    if (!output) continue;
    for (const char* op : {"SET", "GET"}) {
      size_t at = output->find(std::string(op) + ": ");
      if (at == std::string::npos) continue;
      double rate = std::atof(output->c_str() + at + std::strlen(op) + 2);
      Row("redis", std::string("redis-benchmark ") + op + " -P " + pipeline,
          rate);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  char pattern[] = "/tmp/tern-bench-coord-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::printf("\n%-10s %-42s %12s\n", "backend", "operation", "per second");
  Measure("sqlite", "sqlite://" + dir + "/bench.db");
  if (const char* redis = std::getenv("TERN_BENCH_REDIS_URI")) {
    Measure("redis", redis);
    RedisBenchmark(redis);
  } else {
    std::printf("(set TERN_BENCH_REDIS_URI for the Redis rows)\n");
  }
  std::filesystem::remove_all(dir);
}
