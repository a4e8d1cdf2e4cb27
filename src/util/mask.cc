#include "util/mask.h"

#include <cctype>

namespace tern {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lower case and percent-decoded, leniently: a bad escape stays as it is, so
// that "secret%5Fkey" is recognised and malformed text cannot throw.
std::string NormalName(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '%' && i + 2 < name.size() && HexValue(name[i + 1]) >= 0 &&
        HexValue(name[i + 2]) >= 0) {
      c = static_cast<char>(HexValue(name[i + 1]) * 16 + HexValue(name[i + 2]));
      i += 2;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsSecretName(const std::string& name) {
  static const char* const kWords[] = {"secret", "password", "passwd", "token",
                                       "signature"};
  std::string normal = NormalName(name);
  for (const char* word : kWords) {
    if (normal.find(word) != std::string::npos) return true;
  }
  return false;
}

// Masks the password in "user:password@host/path". The last '@' ends the
// userinfo even past a '/', so that an unescaped '/' in a password cannot
// reveal it (at worst a path holding '@' is partly hidden).
std::string MaskUserInfo(const std::string& rest) {
  size_t at = rest.rfind('@');
  if (at == std::string::npos) return rest;
  size_t colon = rest.find(':');
  if (colon == std::string::npos || colon > at) return rest;
  return rest.substr(0, colon + 1) + kMasked + rest.substr(at);
}

std::string MaskQuery(const std::string& query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(start, amp - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && IsSecretName(pair.substr(0, eq))) {
      pair = pair.substr(0, eq + 1) + kMasked;
    }
    out += pair;
    if (amp < query.size()) out += '&';
    start = amp + 1;
  }
  return out;
}

}  // namespace

std::string MaskSecrets(const std::string& uri) {
  size_t question = uri.find('?');
  std::string head = uri.substr(0, question);
  if (size_t sep = head.find("://"); sep != std::string::npos) {
    head = head.substr(0, sep + 3) + MaskUserInfo(head.substr(sep + 3));
  }
  if (question == std::string::npos) return head;
  return head + "?" + MaskQuery(uri.substr(question + 1));
}

}  // namespace tern
