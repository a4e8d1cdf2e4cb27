// Runtime bundles: the user's executable, shipped to other hosts by content.
//
// The program is the runtime: a job names the SHA-256 of the executable that
// submitted it, and remote workers run exactly that binary. A bundle holds the
// executable plus the shared libraries it has loaded from outside the base
// system (anything not under /lib or /usr/lib), stored once in the object
// store under runtimes/<sha256>.
#pragma once

#include <string>

#include "tern/object_store.h"

namespace tern::internal {

inline std::string RuntimeKey(const std::string& hash) {
  return "runtimes/" + hash;
}

// Stores this process's bundle unless the store already has it.
void UploadRuntime(ObjectStore& store);

// Makes the runtime `hash` available under cache_dir/<hash>/ (downloading and
// verifying it unless cached) and returns the executable's path; its private
// libraries are in the lib/ folder beside it.
// Throws Error(kNotFound) if the store lacks it, Error(kCorruption) for an
// undecodable bundle, Error(kPermissionDenied) if its SHA-256 is not `hash`.
std::string FetchRuntime(ObjectStore& store, const std::string& hash,
                         const std::string& cache_dir);

}  // namespace tern::internal
