// SHA-256 of byte strings and files, as lower-case hex.
#pragma once

#include <string>
#include <string_view>

namespace tern {

std::string Sha256Hex(std::string_view data);

// Hashes the file at path. Throws Error(kIOError) naming path if unreadable.
std::string Sha256FileHex(const std::string& path);

}  // namespace tern
