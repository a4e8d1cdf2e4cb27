// Parsing of the URIs that name tern's stores: scheme://authority/path?k=v&k=v.
#pragma once

#include <map>
#include <string>

namespace tern {

struct Uri {
  std::string scheme;     // lower case, e.g. "file", "sqlite", "mem", "s3"
  std::string authority;  // host[:port] or a name; may be empty
  std::string path;       // begins with '/' when present
  std::map<std::string, std::string> query;  // percent-decoded

  // Parses text. Throws Error(kInvalidArgument) naming text when it has no
  // "scheme://" or a malformed query.
  static Uri Parse(const std::string& text);
};

}  // namespace tern
