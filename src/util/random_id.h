// Random names for things many processes create at once: job and run ids,
// worker tokens, per-attempt object keys. Not for secrets.
#pragma once

#include <string>

namespace tern {

// digits random lowercase hex digits. Thread-safe; each thread draws from its
// own generator, seeded from std::random_device, so processes forked from
// one another still differ.
std::string RandomHex(int digits);

}  // namespace tern
