#include "tern/coordinator.h"

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

}  // namespace tern
