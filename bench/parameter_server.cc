// Shared-vector (parameter server) operations per second from one client:
// AddToVector and ReadVector of a whole vector of 100, 10k and 1M doubles, on
// SQLite and (when a server is given) Redis. Baselines in the same run: the
// same bytes moved by the same coordinator as a plain record (Put/Get), which
// is the floor for a vector op that must ship its bytes too, and the add and
// copy done on a std::vector in this process. Each figure is the median of 3
// runs.
//
//   [TERN_BENCH_REDIS_URI=redis://user:pass@127.0.0.1:6379/0]
//   build/bench/parameter_server
// scripts/redis-server-start.sh starts a server and prints its URI.
#include <algorithm>
#include <functional>

#include "bench_util.h"
#include "coord/coordinators.h"
#include "tern/coordinator.h"

namespace {

using Clock = std::chrono::steady_clock;

// Calls op until 0.3 s have passed (at least 3 times); returns calls per
// second. The median of 3 such runs.
double OpsPerSecond(const std::function<void()>& op) {
  std::vector<double> rates(3);  // sized up front: GCC 12 misreads push_back
  for (double& rate : rates) {
    auto start = Clock::now();
    int ops = 0;
    while (ops < 3 || Clock::now() - start < std::chrono::milliseconds(300)) {
      op();
      ++ops;
    }
    rate = ops / tern::bench::Seconds(Clock::now() - start);
  }
  return tern::bench::Median(rates);
}

void Row(const std::string& backend, size_t size, const std::string& op,
         double rate, double baseline) {
  std::printf("%-8s %9zu  %-28s %12.1f %12.1f %7.2f\n", backend.c_str(), size,
              op.c_str(), rate, baseline, rate / baseline);
}

void Measure(const std::string& backend, const std::string& uri, size_t size) {
  auto c = tern::Coordinator::Open(uri);
  std::vector<double> deltas(size, 1.0);
  std::string bytes = tern::PackDoubles(deltas);
  double put = OpsPerSecond([&] { c->Put("bench/record", bytes); });
  double get = OpsPerSecond([&] { c->Get("bench/record"); });
  double add = OpsPerSecond([&] { c->AddToVector("bench/v", 0, deltas); });
  double read = OpsPerSecond([&] { c->ReadVector("bench/v"); });
  Row(backend, size, "AddToVector vs Put", add, put);
  Row(backend, size, "ReadVector vs Get", read, get);
  c->DeletePrefix("bench/");
}

// The in-process floor: the same add and copy on a std::vector.
void MeasureInProcess(size_t size) {
  std::vector<double> vector, deltas(size, 1.0), snapshot(size);
  double add = OpsPerSecond([&] { tern::AddToSlice(&vector, 0, deltas); });
  double copy = OpsPerSecond([&] {
    std::copy(vector.begin(), vector.end(), snapshot.begin());
    asm volatile("" : : "r"(snapshot.data()) : "memory");  // keep the copy
  });
  std::printf("%-8s %9zu  %-28s %12.1f %12.1f\n", "process", size,
              "std::vector add, copy", add, copy);
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  char pattern[] = "/tmp/tern-bench-ps-XXXXXX";
  std::string dir = mkdtemp(pattern);
  const char* redis = std::getenv("TERN_BENCH_REDIS_URI");
  std::printf("\n%-8s %9s  %-28s %12s %12s %7s\n", "backend", "doubles",
              "operation vs baseline", "ops/s", "baseline/s", "ratio");
  for (size_t size : {size_t{100}, size_t{10000}, size_t{1000000}}) {
    MeasureInProcess(size);
    Measure("sqlite", "sqlite://" + dir + "/bench.db", size);
    if (redis != nullptr && *redis != '\0') Measure("redis", redis, size);
  }
  if (redis == nullptr) {
    std::printf("(set TERN_BENCH_REDIS_URI for the Redis rows)\n");
  }
  std::filesystem::remove_all(dir);
}
