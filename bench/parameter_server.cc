// Shared-vector (parameter server) operations per second from one client:
// AddToVector and ReadVector of a whole vector of 100, 10k and 1M doubles, on
// SQLite and (when a server is given) Redis. Baselines in the same run: the
// same bytes moved by the same coordinator as a plain record (Put/Get), which
// is the floor for a vector op that must ship its bytes too, and the add and
// copy done on a std::vector in this process. And an add of a 100-double
// slice into the middle of the larger vectors, next to an add of the whole.
// Each figure is the median of 3 interleaved runs.
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

// Calls each op until 0.3 s have passed (at least 3 times) and takes calls
// per second; returns each op's median of 3 runs. The runs of the ops are
// interleaved, so that a burst of other work on the machine hits them alike.
std::vector<double> OpsPerSecond(
    const std::vector<std::function<void()>>& ops) {
  std::vector<std::vector<double>> rates(ops.size(), std::vector<double>(3));
  for (int run = 0; run < 3; ++run) {
    for (size_t i = 0; i < ops.size(); ++i) {
      auto start = Clock::now();
      int calls = 0;
      while (calls < 3 ||
             Clock::now() - start < std::chrono::milliseconds(300)) {
        ops[i]();
        ++calls;
      }
      rates[i][run] = calls / tern::bench::Seconds(Clock::now() - start);
    }
  }
  std::vector<double> medians;
  for (const std::vector<double>& r : rates) {
    medians.push_back(tern::bench::Median(r));
  }
  return medians;
}

void Row(const std::string& backend, size_t size, const std::string& op,
         double rate, double baseline) {
  std::printf("%-8s %9zu  %-28s %12.1f %12.1f %7.2f\n", backend.c_str(), size,
              op.c_str(), rate, baseline, rate / baseline);
}

void Measure(const std::string& backend, const std::string& uri, size_t size) {
  auto c = tern::Coordinator::Open(uri);
  std::vector<double> deltas(size, 1.0);
  // Two values that differ in every byte, alternated: SQLite skips writing
  // overflow pages whose bytes did not change, an add changes them all.
  std::string bytes[2] = {tern::PackDoubles(deltas),
                          tern::PackDoubles(std::vector<double>(size, 3.0))};
  // A push of 100 doubles into the middle of the vector: what a task that
  // owns one slice of a large model sends.
  std::vector<double> slice(100, 1.0);
  int puts = 0;
  std::vector<double> rates = OpsPerSecond({
      [&] { c->AddToVector("bench/v", 0, deltas); },
      [&] { c->Put("bench/record", bytes[puts++ % 2]); },
      [&] { c->ReadVector("bench/v"); },
      [&] { c->Get("bench/record"); },
      [&] { c->AddToVector("bench/v", size / 2 - 50, slice); },
  });
  double add = rates[0], put = rates[1], read = rates[2], get = rates[3];
  Row(backend, size, "AddToVector vs Put", add, put);
  Row(backend, size, "ReadVector vs Get", read, get);
  if (size > slice.size()) {
    Row(backend, size, "add 100 in middle vs whole", rates[4], add);
  }
  c->DeletePrefix("bench/");
}

// The in-process floor: the same add and copy on a std::vector.
void MeasureInProcess(size_t size) {
  std::vector<double> vector, deltas(size, 1.0), snapshot(size);
  std::vector<double> rates = OpsPerSecond({
      [&] { tern::AddToSlice(&vector, 0, deltas); },
      [&] {
        std::copy(vector.begin(), vector.end(), snapshot.begin());
        asm volatile("" : : "r"(snapshot.data()) : "memory");  // keep it
      },
  });
  double add = rates[0], copy = rates[1];
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
