#include "util/random_id.h"

#include <cstdint>
#include <random>

namespace tern {

std::string RandomHex(int digits) {
  thread_local std::mt19937_64 random(std::random_device{}());
  std::string text;
  text.reserve(digits);
  for (int i = 0; i < digits; ++i) text += "0123456789abcdef"[random() % 16];
  return text;
}

}  // namespace tern
