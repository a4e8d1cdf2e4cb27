// The name of the host this process runs on, for names that must differ
// between hosts sharing a store or a coordinator.
#pragma once

#include <string>

namespace tern {

// gethostname(2), or "host" if it fails.
std::string HostName();

}  // namespace tern
