// Map + monolithic reduce, after the PyWren paper's ImageNet featurization:
// tasks generate images into the object store and turn them into features;
// the client gathers the features and fits a linear classifier itself, with
// LAPACK least squares. Used by examples/featurize.cc and its test.
//
// Images are 32x32 grayscale, generated from (seed, chunk, index) alone:
// oriented stripes whose orientation is the class (0, 45, 90 or 135 degrees,
// each jittered), random frequency and phase, plus Gaussian noise. A chunk is
// one object: per image a label byte then 1024 pixel bytes.
//
// Features: F random 5x5 filters convolved over the image (im2col, then one
// OpenBLAS dgemm per image), rectified (|response|: oriented energy), and
// average-pooled over the 2x2 quadrants: 4F features per image.
#pragma once

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tern/errors.h"
#include "tern/object_store.h"

extern "C" void openblas_set_num_threads(int);

namespace featurize {

constexpr int kSide = 32, kPixels = kSide * kSide, kClasses = 4;
constexpr int kFilter = 5, kOut = kSide - kFilter + 1;  // valid convolution
constexpr int kRecord = 1 + kPixels;                    // label, pixels

struct Dataset {
  uint64_t seed = 7;
  int chunks = 32;
  int images_per_chunk = 1000;
  int test_chunks = 6;  // the last ones; the others train
  double noise = 2.5;   // pixel noise, relative to the stripes' amplitude
  int filters = 32;
  std::string store;   // ObjectStore URI
  std::string prefix;  // where this run's chunks live in it

  template <class Archive>
  void serialize(Archive& ar) {
    ar(seed, chunks, images_per_chunk, test_chunks, noise, filters, store,
       prefix);
  }
  std::string ChunkKey(int chunk) const {
    return prefix + "images/" + std::to_string(chunk);
  }
};

// One task's work: chunk `chunk` of the dataset.
struct Chunk {
  Dataset data;
  int chunk = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(data, chunk);
  }
};

inline std::vector<Chunk> Chunks(const Dataset& data) {
  std::vector<Chunk> chunks;
  for (int c = 0; c < data.chunks; ++c) chunks.push_back({data, c});
  return chunks;
}

// Map task 1: makes a chunk of images and stores it. Returns its count of
// images per class.
inline std::vector<int64_t> Generate(const Chunk& c) {
  const Dataset& d = c.data;
  std::mt19937_64 random(d.seed * 1000003 + c.chunk);
  std::uniform_int_distribution<int> label_of(0, kClasses - 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> normal(0, 1);
  std::string bytes(size_t{kRecord} * d.images_per_chunk, '\0');
  std::vector<int64_t> counts(kClasses, 0);
  for (int i = 0; i < d.images_per_chunk; ++i) {
    int label = label_of(random);
    ++counts[label];
    double angle = (label * 45 + 30 * (uniform(random) - 0.5)) * M_PI / 180;
    double frequency = 0.1 + 0.15 * uniform(random);  // cycles per pixel
    double phase = 2 * M_PI * uniform(random);
    char* record = &bytes[size_t{kRecord} * i];
    record[0] = static_cast<char>(label);
    for (int y = 0; y < kSide; ++y) {
      for (int x = 0; x < kSide; ++x) {
        double along = x * std::cos(angle) + y * std::sin(angle);
        double v = std::cos(2 * M_PI * frequency * along + phase) +
                   d.noise * normal(random);
        record[1 + y * kSide + x] = static_cast<char>(
            static_cast<uint8_t>(std::clamp(128 + 30 * v, 0.0, 255.0)));
      }
    }
  }
  tern::ObjectStore::Open(d.store)->Put(d.ChunkKey(c.chunk), bytes);
  return counts;
}

// The reduce of task 1: images per class over every chunk.
inline std::vector<int64_t> SumCounts(
    const std::vector<std::vector<int64_t>>& parts) {
  std::vector<int64_t> total(kClasses, 0);
  for (const auto& part : parts) {
    for (int k = 0; k < kClasses; ++k) total[k] += part[k];
  }
  return total;
}

// The same filters in every task: 5x5, zero-mean Gaussian weights.
inline std::vector<double> Filters(const Dataset& d) {
  std::mt19937_64 random(d.seed + 17);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> filters(size_t{kFilter} * kFilter * d.filters);
  for (double& w : filters) w = normal(random);
  return filters;
}

// The features of one chunk, and what making them cost.
struct Features {
  std::vector<int> labels;
  std::vector<float> values;  // row-major, one row per image
  double setup_seconds = 0;   // open the store, read the chunk, make filters
  double featurize_seconds = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(labels, values, setup_seconds, featurize_seconds);
  }
};

inline int FeatureCount(const Dataset& d) { return 4 * d.filters; }

// One image's features into out[0, 4F).
inline void ImageFeatures(const uint8_t* pixels, const std::vector<double>& w,
                          int filters, std::vector<double>* patches,
                          std::vector<double>* responses, float* out) {
  // im2col: one row of 25 pixel values (scaled to [0, 1]) per output pixel.
  for (int y = 0; y < kOut; ++y) {
    for (int x = 0; x < kOut; ++x) {
      double* row = &(*patches)[(size_t{kOut} * y + x) * kFilter * kFilter];
      for (int dy = 0; dy < kFilter; ++dy) {
        for (int dx = 0; dx < kFilter; ++dx) {
          row[dy * kFilter + dx] = pixels[(y + dy) * kSide + x + dx] / 255.0;
        }
      }
    }
  }
  // responses (kOut^2 x F) = patches (kOut^2 x 25) * filters (25 x F).
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kOut * kOut, filters,
              kFilter * kFilter, 1.0, patches->data(), kFilter * kFilter,
              w.data(), filters, 0.0, responses->data(), filters);
  std::fill(out, out + 4 * filters, 0.0f);
  const double scale = 1.0 / ((kOut / 2) * (kOut / 2));
  for (int y = 0; y < kOut; ++y) {
    for (int x = 0; x < kOut; ++x) {
      int quadrant = 2 * (y * 2 / kOut) + x * 2 / kOut;
      const double* r = &(*responses)[(size_t{kOut} * y + x) * filters];
      float* pooled = out + quadrant * filters;
      for (int f = 0; f < filters; ++f) pooled[f] += std::abs(r[f]) * scale;
    }
  }
}

// Map task 2: reads a chunk from the store and returns its features.
// Throws Error(kNotFound) for a missing chunk and Error(kCorruption) for one
// whose size is not a whole number of images, each naming the chunk.
inline Features Featurize(const Chunk& c) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  openblas_set_num_threads(1);  // one task per core already
  const Dataset& d = c.data;
  std::string key = d.ChunkKey(c.chunk);
  std::optional<std::string> bytes = tern::ObjectStore::Open(d.store)->Get(key);
  if (!bytes) {
    throw tern::Error(tern::ErrorCode::kNotFound, "no image chunk " + key);
  }
  if (bytes->empty() || bytes->size() % kRecord != 0) {
    throw tern::Error(tern::ErrorCode::kCorruption,
                      "image chunk " + key + " holds " +
                          std::to_string(bytes->size()) +
                          " bytes, not a whole number of " +
                          std::to_string(kRecord) + "-byte images");
  }
  std::vector<double> w = Filters(d);
  auto setup_done = Clock::now();

  size_t images = bytes->size() / kRecord;
  Features features;
  features.labels.resize(images);
  features.values.resize(images * FeatureCount(d));
  std::vector<double> patches(size_t{kOut} * kOut * kFilter * kFilter);
  std::vector<double> responses(size_t{kOut} * kOut * d.filters);
  for (size_t i = 0; i < images; ++i) {
    const auto* record =
        reinterpret_cast<const uint8_t*>(bytes->data()) + i * kRecord;
    features.labels[i] = record[0];
    ImageFeatures(record + 1, w, d.filters, &patches, &responses,
                  &features.values[i * FeatureCount(d)]);
  }
  features.setup_seconds =
      std::chrono::duration<double>(setup_done - start).count();
  features.featurize_seconds =
      std::chrono::duration<double>(Clock::now() - setup_done).count();
  return features;
}

// A linear classifier: one weight row per class over [features, 1].
struct Model {
  int features = 0;
  std::vector<double> weights;  // (features + 1) x kClasses, row-major
};

// Least squares with ridge `lambda` on one-hot targets (+1 for the class, -1
// otherwise): LAPACKE_dgels on [A; sqrt(lambda) I] x = [Y; 0].
inline Model Fit(const std::vector<const Features*>& parts, int d,
                 double lambda) {
  size_t n = 0;
  for (const Features* p : parts) n += p->labels.size();
  const int cols = d + 1;
  size_t rows = n + d;
  std::vector<double> a(rows * cols, 0.0), b(rows * kClasses, 0.0);
  size_t r = 0;
  for (const Features* p : parts) {
    for (size_t i = 0; i < p->labels.size(); ++i, ++r) {
      std::copy_n(&p->values[i * d], d, &a[r * cols]);
      a[r * cols + d] = 1.0;
      for (int k = 0; k < kClasses; ++k) {
        b[r * kClasses + k] = k == p->labels[i] ? 1.0 : -1.0;
      }
    }
  }
  for (int j = 0; j < d; ++j) a[(n + j) * cols + j] = std::sqrt(lambda);
  lapack_int info =
      LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', static_cast<lapack_int>(rows), cols,
                    kClasses, a.data(), cols, b.data(), kClasses);
  if (info != 0) {
    // With the ridge rows the matrix has full rank, so only bad arguments
    // (info < 0) can get here.
    throw tern::Error(tern::ErrorCode::kInvalidArgument,
                      "LAPACKE_dgels failed: info " + std::to_string(info));
  }
  b.resize(size_t{kClasses} * cols);  // the solution is the first cols rows
  return Model{d, b};
}

// The fraction of images in parts that model classifies right.
inline double Accuracy(const Model& model,
                       const std::vector<const Features*>& parts) {
  const size_t d = model.features;
  const double* bias = &model.weights[d * kClasses];
  size_t right = 0, total = 0;
  for (const Features* p : parts) {
    for (size_t i = 0; i < p->labels.size(); ++i, ++total) {
      std::vector<double> score(bias, bias + kClasses);
      for (size_t j = 0; j < d; ++j) {
        for (int k = 0; k < kClasses; ++k) {
          score[k] += p->values[i * d + j] * model.weights[j * kClasses + k];
        }
      }
      int best = std::max_element(score.begin(), score.end()) - score.begin();
      right += best == p->labels[i];
    }
  }
  return total == 0 ? 0 : static_cast<double>(right) / total;
}

}  // namespace featurize
