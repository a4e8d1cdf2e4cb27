// Serialisation of task inputs, extra arguments and results, with cereal's
// binary archive. Any type cereal handles works: arithmetic types, STL
// containers (include the matching <cereal/types/...> header in the user's
// translation unit; tern includes the common ones), and user types with a
// serialize() method.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "tern/errors.h"

namespace tern {

// The result type of functions that return void.
struct Void {
  template <class Archive>
  void serialize(Archive&) {}
  bool operator==(const Void&) const = default;
};

namespace internal {

std::string Demangle(const char* mangled);

template <class T>
std::string Encode(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::BinaryOutputArchive archive(out);
    archive(value);
  }
  return std::move(out).str();
}

// Throws Error(kCorruption) naming what and T when bytes do not decode.
template <class T>
T Decode(std::string_view bytes, const char* what) {
  T value{};
  try {
    std::istringstream in(std::string(bytes), std::ios::binary);
    cereal::BinaryInputArchive archive(in);
    archive(value);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kCorruption,
                std::string("cannot decode ") + what + " as " +
                    Demangle(typeid(T).name()) + ": " + e.what());
  }
  return value;
}

}  // namespace internal
}  // namespace tern
