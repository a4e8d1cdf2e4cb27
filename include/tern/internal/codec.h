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
#include <istream>
#include <ostream>
#include <streambuf>
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

// Stream buffers over a string and a string_view, so that encoding appends
// straight into the result and decoding reads the bytes where they lie.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    out_.append(data, static_cast<size_t>(n));
    return n;
  }

 private:
  std::string& out_;
};

class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }
};

template <class T>
std::string Encode(const T& value) {
  std::string bytes;
  StringSink sink(bytes);
  std::ostream out(&sink);
  {
    cereal::BinaryOutputArchive archive(out);
    archive(value);
  }
  return bytes;
}

// Throws Error(kCorruption) naming what and T when bytes do not decode.
template <class T>
T Decode(std::string_view bytes, const char* what) {
  T value{};
  try {
    ViewSource source(bytes);
    std::istream in(&source);
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
