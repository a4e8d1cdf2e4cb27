#include "tern/coordinator.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "coord/coordinators.h"
#include "tern/errors.h"
#include "util/uri.h"

namespace tern {

std::unique_ptr<Coordinator> Coordinator::Open(const std::string& text) {
  tern::Uri uri = tern::Uri::Parse(text);
  if (uri.scheme == "sqlite") return OpenSqliteCoordinator(uri);
  if (uri.scheme == "mem") return OpenMemCoordinator(uri);
  if (uri.scheme == "redis") return OpenRedisCoordinator(uri, text);
  throw Error(ErrorCode::kInvalidArgument,
              "unknown coordinator scheme '" + uri.scheme + "' in '" + text +
                  "' (expected sqlite://, mem:// or redis://)");
}

// Packing copies the doubles' bytes as they are in memory.
static_assert(std::endian::native == std::endian::little,
              "stored vectors are little-endian doubles");

void CheckVectorName(const std::string& name) {
  if (name.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "vector name is empty");
  }
}

void CheckVectorAdd(const std::string& name, uint64_t offset,
                    const std::vector<double>& deltas) {
  CheckVectorName(name);
  for (size_t i = 0; i < deltas.size(); ++i) {
    if (!std::isfinite(deltas[i])) {
      throw Error(ErrorCode::kInvalidArgument, "delta " + std::to_string(i) +
                                                   " added to vector '" + name +
                                                   "' is not finite");
    }
  }
  if (offset > Coordinator::kMaxVectorSize ||
      deltas.size() > Coordinator::kMaxVectorSize - offset) {
    throw Error(ErrorCode::kInvalidArgument,
                "add to vector '" + name + "' at offset " +
                    std::to_string(offset) + " of " +
                    std::to_string(deltas.size()) +
                    " elements ends past the largest vector size, " +
                    std::to_string(Coordinator::kMaxVectorSize));
  }
}

void AddToSlice(std::vector<double>* vector, uint64_t offset,
                const std::vector<double>& deltas) {
  if (vector->size() < offset + deltas.size()) {
    vector->resize(offset + deltas.size(), 0.0);
  }
  double* slice = vector->data() + offset;
  for (size_t i = 0; i < deltas.size(); ++i) slice[i] += deltas[i];
}

std::string PackDoubles(const std::vector<double>& values) {
  std::string bytes(values.size() * sizeof(double), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<double> UnpackDoubles(std::string_view bytes,
                                  const std::string& what) {
  if (bytes.size() % sizeof(double) != 0) {
    throw Error(ErrorCode::kCorruption,
                what + " holds " + std::to_string(bytes.size()) +
                    " bytes, not a whole number of doubles");
  }
  std::vector<double> values(bytes.size() / sizeof(double));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

}  // namespace tern
