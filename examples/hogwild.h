// Hogwild SGD for logistic regression on a tern SharedVector, and the
// single-threaded SGD it is measured against; used by examples/hogwild_sgd.cc
// and its test.
//
// The data are generated, not stored: sample i (features and label) is a pure
// function of (seed, i), so each task makes its own shard and the baseline the
// same samples. Labels come from a hidden weight vector plus noise: the
// classes are separable but for the noise.
//
// Each task runs SGD over its shard: it reads the shared weights, takes
// `batch` per-sample steps on its copy, then adds the difference it made to
// the shared vector and reads again. No task waits for another, and no lock
// is held: deltas from stale copies simply add up (Hogwild, with a push every
// batch instead of every sample, as a network round trip per sample would
// cost far more than the step).
#pragma once

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tern/parameter_server.h"

namespace hogwild {

struct Problem {
  uint64_t seed = 1;
  int features = 100;
  uint64_t train = 200000;  // samples [0, train) train
  uint64_t test = 20000;    // samples [train, train + test) test
  double noise = 0.3;       // label noise, relative to the signal's spread

  template <class Archive>
  void serialize(Archive& ar) {
    ar(seed, features, train, test, noise);
  }
};

struct Training {
  int epochs = 3;
  int batch = 500;  // samples per push
  double rate = 0.01;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(epochs, batch, rate);
  }
};

// splitmix64: a counter-based generator, so any sample is made directly.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A standard normal from two counters (Box-Muller).
inline double Normal(uint64_t seed, uint64_t counter) {
  double u1 = (Mix(seed ^ Mix(2 * counter)) >> 11) * 0x1p-53 + 0x1p-54;
  double u2 = (Mix(seed ^ Mix(2 * counter + 1)) >> 11) * 0x1p-53;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

inline std::vector<double> HiddenWeights(const Problem& p) {
  std::vector<double> w(p.features);
  for (int j = 0; j < p.features; ++j) w[j] = Normal(p.seed, j);
  return w;
}

// Sample i's features into x; returns its label, 0 or 1.
inline double Sample(const Problem& p, const std::vector<double>& hidden,
                     uint64_t i, double* x) {
  uint64_t base = (i + 1) * (p.features + 1);
  for (int j = 0; j < p.features; ++j) x[j] = Normal(p.seed + 1, base + j);
  double margin = cblas_ddot(p.features, hidden.data(), 1, x, 1) /
                  std::sqrt(static_cast<double>(p.features));
  return margin + p.noise * Normal(p.seed + 2, base + p.features) > 0 ? 1 : 0;
}

// One logistic-loss SGD step on (x, y).
inline void Step(int d, double rate, const double* x, double y, double* w) {
  double z = cblas_ddot(d, w, 1, x, 1);
  double g = 1 / (1 + std::exp(-z)) - y;
  cblas_daxpy(d, -rate * g, x, 1, w, 1);
}

inline double TestAccuracy(const Problem& p, const std::vector<double>& w) {
  std::vector<double> hidden = HiddenWeights(p), x(p.features);
  uint64_t right = 0;
  for (uint64_t i = p.train; i < p.train + p.test; ++i) {
    double y = Sample(p, hidden, i, x.data());
    double z = cblas_ddot(p.features, w.data(), 1, x.data(), 1);
    right += (z > 0) == (y > 0);
  }
  return static_cast<double>(right) / p.test;
}

// Samples [first, first + count), made once: making one costs far more than
// an SGD step on it.
struct Samples {
  std::vector<double> x;  // row-major, one row of features per sample
  std::vector<double> y;
};

inline Samples MakeSamples(const Problem& p, uint64_t first, uint64_t count) {
  std::vector<double> hidden = HiddenWeights(p);
  Samples s{std::vector<double>(count * p.features),
            std::vector<double>(count)};
  for (uint64_t k = 0; k < count; ++k) {
    s.y[k] = Sample(p, hidden, first + k, &s.x[k * p.features]);
  }
  return s;
}

// SGD steps on samples [begin, end) of s.
inline void Steps(int d, double rate, const Samples& s, uint64_t begin,
                  uint64_t end, double* w) {
  for (uint64_t k = begin; k < end; ++k) Step(d, rate, &s.x[k * d], s.y[k], w);
}

// The baseline: plain SGD in this thread over every training sample.
inline std::vector<double> TrainSerial(const Problem& p, const Training& t,
                                       const Samples& train) {
  std::vector<double> w(p.features, 0.0);
  for (int e = 0; e < t.epochs; ++e) {
    Steps(p.features, t.rate, train, 0, p.train, w.data());
  }
  return w;
}

// One task's share of the training samples.
struct Shard {
  Problem problem;
  Training training;
  uint64_t first = 0, count = 0;
  std::string coordinator;  // where the weights live
  std::string vector;       // their name

  template <class Archive>
  void serialize(Archive& ar) {
    ar(problem, training, first, count, coordinator, vector);
  }
};

// The Hogwild task. Returns how many pushes (adds to the weights) it made.
inline int64_t TrainShard(const Shard& s) {
  const Problem& p = s.problem;
  tern::SharedVector weights(s.coordinator, s.vector);
  Samples samples = MakeSamples(p, s.first, s.count);
  int64_t pushes = 0;
  const uint64_t batch = std::max(1, s.training.batch);
  for (int e = 0; e < s.training.epochs; ++e) {
    for (uint64_t k = 0; k < s.count; k += batch) {
      std::vector<double> w = weights.Read();
      w.resize(p.features, 0.0);
      std::vector<double> start = w;
      Steps(p.features, s.training.rate, samples, k,
            std::min(s.count, k + batch), w.data());
      for (int i = 0; i < p.features; ++i) w[i] -= start[i];
      weights.Add(w);
      ++pushes;
    }
  }
  return pushes;
}

// Splits the training samples into `tasks` shards.
inline std::vector<Shard> Shards(const Problem& p, const Training& t, int tasks,
                                 const std::string& coordinator,
                                 const std::string& vector) {
  std::vector<Shard> shards;
  for (int i = 0; i < tasks; ++i) {
    uint64_t first = p.train * i / tasks, end = p.train * (i + 1) / tasks;
    shards.push_back(Shard{p, t, first, end - first, coordinator, vector});
  }
  return shards;
}

}  // namespace hogwild
