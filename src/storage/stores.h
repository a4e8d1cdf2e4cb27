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

}  // namespace tern
