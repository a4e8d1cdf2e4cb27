#include "storage/s3_util.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>

namespace tern {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the UTF-8 encoding of code point cp (for &#NNN; entities).
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct Entity {
  std::string_view name;
  char c;
};
constexpr Entity kEntities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};

// Decodes the entity that starts at text[i] ('&') and returns the index just
// past it; an unknown or unterminated entity is kept literally.
size_t DecodeEntity(std::string_view text, size_t i, std::string* out) {
  size_t semi = text.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) {
    *out += '&';
    return i + 1;
  }
  std::string_view name = text.substr(i + 1, semi - i - 1);
  for (const Entity& entity : kEntities) {
    if (name == entity.name) {
      *out += entity.c;
      return semi + 1;
    }
  }
  if (name.size() < 2 || name[0] != '#') {
    *out += '&';
    return i + 1;
  }
  bool hex = name[1] == 'x' || name[1] == 'X';
  std::string digits(name.substr(hex ? 2 : 1));
  AppendUtf8(std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10), out);
  return semi + 1;
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      i = DecodeEntity(text, i, &out);
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace

std::string AwsEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    int hi = -1, lo = -1;
    if (text[i] == '%' && i + 2 < text.size()) {
      hi = HexValue(text[i + 1]);
      lo = HexValue(text[i + 2]);
    }
    if (hi >= 0 && lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::vector<std::string> XmlTexts(std::string_view xml, std::string_view tag) {
  std::vector<std::string> texts;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  for (size_t pos = xml.find(open); pos != std::string_view::npos;
       pos = xml.find(open, pos)) {
    size_t start = pos + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    texts.push_back(XmlUnescape(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return texts;
}

std::string XmlText(std::string_view xml, std::string_view tag) {
  std::vector<std::string> texts = XmlTexts(xml, tag);
  return texts.empty() ? "" : texts.front();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto entity = std::find_if(
        std::begin(kEntities), std::end(kEntities) - 1,  // not &apos;
        [c](const Entity& candidate) { return candidate.c == c; });
    if (entity == std::end(kEntities) - 1) {
      out += c;
    } else {
      out.append("&").append(entity->name).append(";");
    }
  }
  return out;
}

}  // namespace tern
