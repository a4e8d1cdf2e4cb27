// Constructors of the Coordinator implementations, used by Coordinator::Open().
#pragma once

#include <memory>

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

}  // namespace tern
