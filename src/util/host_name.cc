#include "util/host_name.h"

#include <unistd.h>

namespace tern {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "host";
  return name;
}

}  // namespace tern
