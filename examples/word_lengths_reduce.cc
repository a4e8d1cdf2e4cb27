// Map + reduce: each task computes a histogram of word lengths in one chunk of
// generated text, and a reducer task, which runs once every map task is done,
// merges the histograms. The reducer is a task like any other: it reads the
// map results from storage, so the client only waits for one future.
//
//   build/examples/word_lengths_reduce [chunks]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include "tern/tern.h"

using Histogram = std::map<int, long>;

// Makes chunk `seed` of a deterministic text and counts its word lengths.
Histogram WordLengths(int seed) {
  std::mt19937 random(seed);
  std::geometric_distribution<int> length(0.25);
  Histogram histogram;
  for (int word = 0; word < 100000; ++word) ++histogram[1 + length(random)];
  return histogram;
}

Histogram Merge(const std::vector<Histogram>& parts) {
  Histogram total;
  for (const Histogram& part : parts) {
    for (auto [length, count] : part) total[length] += count;
  }
  return total;
}

int main(int argc, char** argv) {
  tern::Init(argc, argv);
  int chunks = argc > 1 ? std::atoi(argv[1]) : 64;

  auto ex = tern::Executor::FromConfig();
  std::vector<int> seeds(chunks);
  std::iota(seeds.begin(), seeds.end(), 0);
  tern::Future<Histogram> total = ex.MapReduce(WordLengths, seeds, Merge);

  long words = 0;
  for (auto [length, count] : total.Result()) {
    words += count;
    if (length <= 12) std::printf("%2d letters: %ld\n", length, count);
  }
  std::printf("%ld words in %d chunks\n", words, chunks);
}
