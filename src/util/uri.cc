#include "util/uri.h"

#include <cctype>

#include "tern/errors.h"

namespace tern {
namespace {

[[noreturn]] void Malformed(const std::string& text, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument,
              "malformed URI '" + text + "': " + why);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(const std::string& text, const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      Malformed(text, "truncated %-escape");
    }
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) Malformed(text, "bad %-escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

Uri Uri::Parse(const std::string& text) {
  Uri uri;
  size_t sep = text.find("://");
  if (sep == std::string::npos || sep == 0) {
    Malformed(text, "expected scheme://...");
  }
  for (size_t i = 0; i < sep; ++i) {
    char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' &&
        c != '.') {
      Malformed(text, "bad character in scheme");
    }
    uri.scheme +=
        static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string rest = text.substr(sep + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  size_t slash = rest.find('/');
  uri.authority = rest.substr(0, slash);
  if (slash != std::string::npos)
    uri.path = PercentDecode(text, rest.substr(slash));
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = PercentDecode(text, pair.substr(0, eq));
      if (key.empty()) Malformed(text, "empty query parameter name");
      uri.query[key] = eq == std::string::npos
                           ? ""
                           : PercentDecode(text, pair.substr(eq + 1));
    }
    start = amp + 1;
  }
  return uri;
}

}  // namespace tern
