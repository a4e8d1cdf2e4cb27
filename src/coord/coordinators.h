// Constructors of the Coordinator implementations, used by Coordinator::Open().
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/coordinator.h"
#include "util/uri.h"

namespace tern {

// sqlite:///abs/path/file.db. Throws Error(kNotFound) if the directory is
// missing.
std::unique_ptr<Coordinator> OpenSqliteCoordinator(const Uri& uri);

// mem://name. Coordinators with the same name share state in this process.
std::unique_ptr<Coordinator> OpenMemCoordinator(const Uri& uri);

// redis://[user[:password]@]host[:port][/db]?prefix=name/&timeout=5s (see
// redis_connection.h), parsed from text, which Uri() returns with the password
// masked. Throws Error(kUnavailable) if the server cannot be reached,
// Error(kPermissionDenied) if it refuses the credentials.
std::unique_ptr<Coordinator> OpenRedisCoordinator(const Uri& uri,
                                                  const std::string& text);

// ---- Shared by the implementations of the Vectors section.

// Throws Error(kInvalidArgument) unless AddToVector(name, offset, deltas) is
// valid: a non-empty name, finite deltas, an end within kMaxVectorSize.
void CheckVectorAdd(const std::string& name, uint64_t offset,
                    const std::vector<double>& deltas);
// Throws Error(kInvalidArgument) for an empty vector name.
void CheckVectorName(const std::string& name);

// Adds deltas to (*vector)[offset...], growing it with zeros as needed.
void AddToSlice(std::vector<double>* vector, uint64_t offset,
                const std::vector<double>& deltas);

// Vectors as stored bytes: the doubles' IEEE 754 bits, little-endian, 8 bytes
// each, so that every host and the Redis scripts read them alike.
std::string PackDoubles(const std::vector<double>& values);
// Throws Error(kCorruption), naming what, when bytes is not a whole number of
// doubles.
std::vector<double> UnpackDoubles(std::string_view bytes,
                                  const std::string& what);

}  // namespace tern
