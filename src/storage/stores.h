// Constructors of the ObjectStore implementations, used by ObjectStore::Open().
#pragma once

#include <memory>

#include "tern/object_store.h"
#include "util/uri.h"

namespace tern {

// file:///abs/dir. Throws Error(kNotFound) if the directory does not exist.
std::unique_ptr<ObjectStore> OpenFileStore(const Uri& uri);

// mem://name. Stores opened with the same name share objects in this process.
std::unique_ptr<ObjectStore> OpenMemStore(const Uri& uri);

// s3://bucket/prefix?endpoint=...; s3_config.h lists the parameters. Checks
// the endpoint, credentials and bucket with one request.
std::unique_ptr<ObjectStore> OpenS3Store(const Uri& uri);

}  // namespace tern
