// Constructors of the ObjectStore implementations, used by ObjectStore::Open().
#pragma once

#include <memory>
#include <string>
#include <string_view>

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

// Returns data as ObjectStore::Put stores it, followed by its checksum
// trailer (object_store.cc), for tests that play a store's server.
std::string StoredForm(std::string_view data);

// fault+<uri>?unavailable=...: the store <uri> (without the fault
// parameters) wrapped in a FaultInjectingStore; fault_injecting_store.h lists
// the parameters. Takes the text, so that <uri> keeps its exact encoding.
std::unique_ptr<ObjectStore> OpenFaultInjectingStore(const std::string& uri);

}  // namespace tern
