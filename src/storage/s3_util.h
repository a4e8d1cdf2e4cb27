// Small text helpers for the S3 client: the encodings SigV4 requires and a
// minimal reader for the few flat XML documents S3 answers with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/sha256.h"

namespace tern {

// Percent-encodes text the way SigV4 canonicalizes it: every byte except
// A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex). With keep_slash, '/' stays
// as is (for object key paths); without it, it is encoded (for query values).
std::string AwsEncode(std::string_view text, bool keep_slash);

// Decodes %XX escapes and '+' (as a space), as S3 writes keys when a listing
// asks for encoding-type=url. Leaves malformed escapes as they are.
std::string UrlDecode(std::string_view text);

// The text of every <tag>...</tag> element in xml, entities decoded, in
// document order. Enough for S3's responses, which have no attributes on the
// elements we read, no CDATA and no nesting of an element in itself.
std::vector<std::string> XmlTexts(std::string_view xml, std::string_view tag);

// The first element's text, or "" if there is none.
std::string XmlText(std::string_view xml, std::string_view tag);

// Escapes & < > " for use as XML text.
std::string XmlEscape(std::string_view text);

// SHA-256 of data as lower-case hex: see util/sha256.h (shared with core).

}  // namespace tern
