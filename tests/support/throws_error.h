// ThrowsError: a GoogleTest predicate for tern's error model. Succeeds if f
// throws a tern::Error with the given code whose message mentions every one
// of `mentions` and never contains `never` (a secret, say).
#pragma once

#include <gtest/gtest.h>

#include <concepts>
#include <string>
#include <utility>
#include <vector>

#include "tern/errors.h"

namespace tern::testing_support {

template <typename F>
::testing::AssertionResult ThrowsError(F&& f, ErrorCode code,
                                       const std::vector<std::string>& mentions,
                                       const std::string& never = "\x01") {
  try {
    f();
  } catch (const Error& e) {
    std::string what = e.what();
    if (e.code() != code) {
      return ::testing::AssertionFailure()
             << "code " << ErrorCodeName(e.code()) << ", want "
             << ErrorCodeName(code) << ": " << what;
    }
    for (const std::string& mention : mentions) {
      if (what.find(mention) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message does not mention '" << mention << "': " << what;
      }
    }
    if (what.find(never) != std::string::npos) {
      return ::testing::AssertionFailure()
             << "message mentions '" << never << "': " << what;
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no Error thrown";
}

// One mention. A template, so that a braced list of mentions never picks it.
template <typename F, typename S>
requires std::convertible_to<const S&, std::string>
auto ThrowsError(F&& f, ErrorCode code, const S& mention)
    -> ::testing::AssertionResult {
  return ThrowsError(std::forward<F>(f), code,
                     std::vector<std::string>{mention});
}

}  // namespace tern::testing_support
