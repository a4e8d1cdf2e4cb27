// Hiding secrets in URIs before they are shown to anyone.
//
// tern's store and coordinator URIs may carry credentials: a password in the
// userinfo (redis://user:pass@host) or secret query parameters
// (s3://bucket?secret_key=...). Anything that prints a URI a user configured
// (`tern config show`, messages, logs) passes it through MaskSecrets first.
#pragma once

#include <string>

namespace tern {

// The text shown instead of a secret.
inline constexpr const char* kMasked = "****";

// Returns uri with every secret replaced by kMasked: the password of the
// userinfo (what lies between the first ':' after "scheme://" and the last
// '@'), and the value of each query parameter whose name, ignoring case,
// contains "secret", "password", "passwd", "token" or "signature"
// (secret_key, session_token, X-Amz-Signature, ...). Never throws: text that is
// not a well-formed URI is masked by the same rules, erring towards hiding.
std::string MaskSecrets(const std::string& uri);

}  // namespace tern
