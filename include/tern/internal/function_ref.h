// How tern ships a function to a worker without per-function registration.
//
// Workers run the very binary the client runs (checked by its SHA-256), so a
// code address is meaningful on both sides once made relative to the module it
// lives in. For each Map() tern instantiates a trampoline that knows the input,
// extra-argument and result types; the worker finds the trampoline by its
// offset, and the trampoline rebuilds the user's callable from `state`:
//   - a plain function: state is the function's own location;
//   - a captureless lambda or other empty, default-constructible functor: it is
//     default-constructed, state is empty;
//   - a function object with a cereal serialize() method: state is its bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "tern/internal/codec.h"

namespace tern::internal {

// A code address as (module, offset): module "" is the main executable.
struct CodeLocation {
  std::string module;
  uint64_t offset = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(module, offset);
  }
};

// Throws Error(kInvalidArgument) if address lies in no loaded module.
CodeLocation Locate(const void* address);
// Throws Error(kNotFound) if the module is not loaded in this process.
const void* Resolve(const CodeLocation& location);

// Gives a reducer the results of the map job it reduces, in task order.
class MapResultReader {
 public:
  virtual ~MapResultReader() = default;
  // Encoded results of tasks 0..count-1 of job. Throws TaskError for a failed
  // one.
  virtual std::vector<std::string> Results(const std::string& job,
                                           uint64_t count) = 0;
};

struct Call {
  std::string_view state;
  std::string_view input;
  std::string_view extra;
  MapResultReader* reader = nullptr;
};
using Trampoline = std::string (*)(const Call&);

struct FunctionRef {
  CodeLocation trampoline;
  std::string state;
  std::string name;  // readable name of the user's callable, for messages
  template <class Archive>
  void serialize(Archive& ar) {
    ar(trampoline, state, name);
  }
};

template <class F>
inline constexpr bool kStatelessFunctor = std::is_class_v<F>&&
    std::is_empty_v<F>&& std::is_default_constructible_v<F>;

template <class F>
std::string SaveFunction(const F& f) {
  if constexpr (std::is_pointer_v<F>) {
    static_assert(
        std::is_function_v<std::remove_pointer_t<F>>,
        "tern ships functions, function pointers and function objects");
    return Encode(Locate(reinterpret_cast<const void*>(f)));
  } else if constexpr (kStatelessFunctor<F>) {
    return {};
  } else {
    static_assert(cereal::traits::is_output_serializable<
                      F, cereal::BinaryOutputArchive>::value,
                  "a function object with state needs a cereal serialize() "
                  "method (or use a plain function or a captureless lambda)");
    return Encode(f);
  }
}

template <class F>
F LoadFunction(std::string_view state) {
  if constexpr (std::is_pointer_v<F>) {
    auto location = Decode<CodeLocation>(state, "function location");
    return reinterpret_cast<F>(const_cast<void*>(Resolve(location)));
  } else if constexpr (kStatelessFunctor<F>) {
    return F{};
  } else {
    return Decode<F>(state, "function object");
  }
}

// Encodes what calling g() returns; a void call encodes Void.
template <class G>
std::string EncodeCall(G&& g) {
  if constexpr (std::is_void_v<std::invoke_result_t<G>>) {
    g();
    return Encode(Void{});
  } else {
    return Encode(g());
  }
}

template <class F, class In, class... Extra>
std::string MapTrampoline(const Call& call) {
  F f = LoadFunction<F>(call.state);
  In input = Decode<In>(call.input, "task input");
  auto extra = Decode<std::tuple<Extra...>>(call.extra, "extra arguments");
  return EncodeCall([&]() -> decltype(auto) {
    return std::apply(
        [&](Extra&... e) -> decltype(auto) {
          return std::invoke(f, input, e...);
        },
        extra);
  });
}

template <class F, class R1>
std::string ReduceTrampoline(const Call& call) {
  F f = LoadFunction<F>(call.state);
  auto [job, count] =
      Decode<std::pair<std::string, uint64_t>>(call.input, "reduce input");
  std::vector<R1> values;
  values.reserve(count);
  for (const std::string& bytes : call.reader->Results(job, count)) {
    values.push_back(Decode<R1>(bytes, "map result"));
  }
  return EncodeCall([&]() -> decltype(auto) { return std::invoke(f, values); });
}

template <class F>
FunctionRef MakeFunctionRef(const F& f, Trampoline trampoline) {
  return FunctionRef{Locate(reinterpret_cast<const void*>(trampoline)),
                     SaveFunction(f), Demangle(typeid(F).name())};
}

// The result type of calling F with Args, void mapped to Void.
template <class F, class... Args>
using ResultOf =
    std::conditional_t<std::is_void_v<std::invoke_result_t<F&, Args&...>>, Void,
                       std::decay_t<std::invoke_result_t<F&, Args&...>>>;

}  // namespace tern::internal
