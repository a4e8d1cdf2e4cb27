// Hogwild SGD with a parameter server: logistic regression on generated data
// (examples/hogwild.h), trained by k tasks that each run SGD over their shard
// and add their steps to shared weights in the coordinator, lock-free. The
// same run trains a single-threaded SGD baseline on the same samples and
// compares test accuracy, wall time and update rates, for the executor's
// coordinator and, when TERN_BENCH_REDIS_URI names one, a Redis server:
//
//   [TERN_BENCH_REDIS_URI=redis://user:pass@127.0.0.1:6379/0]
//   build/examples/hogwild_sgd [train_samples] [tasks] [epochs]
//
//   client: Map(TrainShard, k shards) --> k tasks --Read/Add--> weights
//           then Read(weights) --> test accuracy
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hogwild.h"
#include "tern/coordinator.h"
#include "tern/tern.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Row(const std::string& what, double accuracy, double baseline,
         double seconds, double pushes, double steps) {
  std::printf("%-34s %8.2f%% %+7.2f %8.2f %10.0f %12.0f\n", what.c_str(),
              100 * accuracy, 100 * (accuracy - baseline), seconds,
              pushes / seconds, steps / seconds);
}

// Trains with tasks on weights in `coordinator`; prints its row.
void RunHogwild(tern::Executor& ex, const std::string& coordinator,
                const hogwild::Problem& p, const hogwild::Training& t,
                int tasks, double baseline) {
  std::string run = "hogwild/" + std::to_string(getpid()) + "-" +
                    std::to_string(Clock::now().time_since_epoch().count());
  auto start = Clock::now();
  auto futures = ex.Map(hogwild::TrainShard,
                        hogwild::Shards(p, t, tasks, coordinator, run + "/w"));
  double pushes = 0;
  for (int64_t n : tern::GetAllResults(futures)) pushes += n;
  std::vector<double> w = tern::SharedVector(coordinator, run + "/w").Read();
  double seconds = Since(start);
  tern::Coordinator::Open(coordinator)->DeletePrefix(run + "/");
  std::string scheme = coordinator.substr(0, coordinator.find(':'));
  Row("tern, " + std::to_string(tasks) + " tasks, weights on " + scheme,
      hogwild::TestAccuracy(p, w), baseline, seconds, pushes,
      static_cast<double>(p.train) * t.epochs);
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  hogwild::Problem p;
  hogwild::Training t;
  if (argc > 1) p.train = std::strtoull(argv[1], nullptr, 10);
  int tasks = argc > 2 ? std::atoi(argv[2]) : 4;
  if (argc > 3) t.epochs = std::atoi(argv[3]);
  if (p.train == 0 || tasks <= 0 || t.epochs <= 0) {
    std::fprintf(stderr, "usage: %s [train_samples] [tasks] [epochs]\n",
                 argv[0]);
    return 2;
  }
  auto ex = tern::Executor::FromConfig();
  std::printf(
      "Hogwild SGD, logistic regression: %llu train + %llu test samples x %d "
      "features, %d epochs, %d samples per push, %d local workers\n\n",
      static_cast<unsigned long long>(p.train),
      static_cast<unsigned long long>(p.test), p.features, t.epochs, t.batch,
      ex.options().workers);
  std::printf("%-34s %9s %7s %8s %10s %12s\n", "", "test acc", "vs base",
              "wall s", "pushes/s", "samples/s");

  auto start = Clock::now();
  std::vector<double> w =
      hogwild::TrainSerial(p, t, hogwild::MakeSamples(p, 0, p.train));
  double seconds = Since(start);
  double baseline = hogwild::TestAccuracy(p, w);
  Row("serial SGD in this process", baseline, baseline, seconds, 0,
      static_cast<double>(p.train) * t.epochs);

  RunHogwild(ex, ex.options().coordinator, p, t, tasks, baseline);
  if (const char* redis = std::getenv("TERN_BENCH_REDIS_URI")) {
    if (*redis != '\0') RunHogwild(ex, redis, p, t, tasks, baseline);
  }
}
