// Featurization, then a classifier fitted on the client: the PyWren paper's
// map + monolithic reduce (section 3.3, Table 2) on generated images.
//
//   build/examples/featurize [chunks] [images_per_chunk]
//
//   MapReduce(Generate, chunks, SumCounts)   tasks store image chunks
//   Map(Featurize, chunks)                   tasks read a chunk, return
//                                            conv + pool features
//   GetAllResults  --> client: LAPACKE_dgels --> train/test accuracy
//
// It prints each phase's time as Table 2 does: start latency (submit to a
// task running) and setup and featurization per task (mean and std over
// tasks), then the client's fetch of every feature and its fit.
#include "featurize.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tern/tern.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Phase(const char* name, const std::vector<double>& per_task) {
  double mean = 0, square = 0;
  for (double x : per_task) mean += x / per_task.size();
  for (double x : per_task) square += (x - mean) * (x - mean) / per_task.size();
  std::printf("%-26s %9.3f s %9.3f s\n", name, mean, std::sqrt(square));
}

}  // namespace

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  featurize::Dataset data;
  if (argc > 1) data.chunks = std::atoi(argv[1]);
  if (argc > 2) data.images_per_chunk = std::atoi(argv[2]);
  data.test_chunks = std::max(1, data.chunks / 5);
  if (data.chunks < 2 || data.images_per_chunk <= 0) {
    std::fprintf(stderr, "usage: %s [chunks >= 2] [images_per_chunk]\n",
                 argv[0]);
    return 2;
  }
  auto ex = tern::Executor::FromConfig();
  data.store = ex.options().store;
  data.prefix = "featurize/" + std::to_string(getpid()) + "-" +
                std::to_string(NowMicros()) + "/";
  std::vector<featurize::Chunk> chunks = featurize::Chunks(data);

  auto start = Clock::now();
  std::vector<int64_t> counts =
      ex.MapReduce(featurize::Generate, chunks, featurize::SumCounts).Result();
  double generate = Since(start);

  int64_t submitted_us = NowMicros();
  start = Clock::now();
  auto futures = ex.Map(featurize::Featurize, chunks);
  tern::Wait(futures);
  double featurize_wall = Since(start);
  start = Clock::now();
  std::vector<featurize::Features> features = tern::GetAllResults(futures);
  double fetch = Since(start);

  std::vector<const featurize::Features*> train, test;
  for (int c = 0; c < data.chunks; ++c) {
    (c < data.chunks - data.test_chunks ? train : test).push_back(&features[c]);
  }
  start = Clock::now();
  featurize::Model model =
      featurize::Fit(train, featurize::FeatureCount(data), 1.0);
  double fit = Since(start);

  std::printf(
      "%d chunks x %d images (32x32, %lld/%lld/%lld/%lld per class), %d "
      "features each, %d local workers\n",
      data.chunks, data.images_per_chunk, static_cast<long long>(counts[0]),
      static_cast<long long>(counts[1]), static_cast<long long>(counts[2]),
      static_cast<long long>(counts[3]), featurize::FeatureCount(data),
      ex.options().workers);
  std::printf(
      "train accuracy %.2f%%, test accuracy %.2f%% (%d test chunks)\n\n",
      100 * featurize::Accuracy(model, train),
      100 * featurize::Accuracy(model, test), data.test_chunks);
  std::printf("%-26s %11s %11s\n", "phase", "mean", "std");
  std::vector<double> latency, setup, compute;
  for (size_t i = 0; i < futures.size(); ++i) {
    latency.push_back((futures[i].Info().started_us - submitted_us) / 1e6);
    setup.push_back(features[i].setup_seconds);
    compute.push_back(features[i].featurize_seconds);
  }
  Phase("task start latency", latency);
  Phase("task setup", setup);
  Phase("featurization (per task)", compute);
  Phase("featurization (wall)", {featurize_wall});
  Phase("result fetch", {fetch});
  Phase("fit linear classifier", {fit});
  Phase("(generation, wall)", {generate});

  auto store = tern::ObjectStore::Open(data.store);
  for (const std::string& key : store->List(data.prefix)) store->Delete(key);
}
