#include "storage/fault_injecting_store.h"

#include <cmath>
#include <sstream>
#include <thread>
#include <vector>

#include "storage/stores.h"
#include "tern/errors.h"
#include "util/uri.h"

namespace tern {
namespace {

constexpr std::string_view kPrefix = "fault+";

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

// The non-default options as URI query parameters, "" when none.
std::string OptionsQuery(const FaultOptions& options) {
  std::ostringstream query;
  auto add = [&](const char* name, auto value) {
    query << (query.tellp() == 0 ? "" : "&") << name << "=" << value;
  };
  if (options.unavailable > 0) add("unavailable", options.unavailable);
  if (options.slow > 0) add("slow", options.slow);
  if (options.slow_delay != FaultOptions().slow_delay) {
    add("slow_ms", options.slow_delay.count());
  }
  if (options.truncate > 0) add("truncate", options.truncate);
  if (options.corrupt > 0) add("corrupt", options.corrupt);
  if (options.seed) add("seed", *options.seed);
  return query.str();
}

}  // namespace

FaultInjectingStore::FaultInjectingStore(std::unique_ptr<ObjectStore> target,
                                         const FaultOptions& options)
    : ObjectStoreWrapper(std::move(target)),
      options_(options),
      random_(options.seed ? *options.seed : RandomSeed()) {}

std::string FaultInjectingStore::Uri() const {
  std::string uri = std::string(kPrefix) + target()->Uri();
  std::lock_guard<std::mutex> lock(mu_);
  std::string query = OptionsQuery(options_);
  if (query.empty()) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

void FaultInjectingStore::SetOptions(const FaultOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<uint64_t> seed = options_.seed;
  options_ = options;
  options_.seed = seed;
}

FaultCounts FaultInjectingStore::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

double FaultInjectingStore::Draw() {
  return static_cast<double>(random_() >> 11) * 0x1.0p-53;
}

void FaultInjectingStore::BeforeCall(const char* what, const std::string& key) {
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_.calls;
    if (Draw() < options_.unavailable) {
      ++counts_.unavailable;
      throw Error(ErrorCode::kUnavailable,
                  std::string("injected fault: ") + what + " '" + key +
                      "' in " + target()->Uri() +
                      ": store unavailable (as an HTTP 503)");
    }
    if (Draw() < options_.slow) {
      ++counts_.slow;
      delay = options_.slow_delay;
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

void FaultInjectingStore::AfterRead(std::string* bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Draw() < options_.truncate && !bytes->empty()) {
    ++counts_.truncated;
    bytes->resize(bytes->size() - 1 - random_() % bytes->size());
  }
  if (Draw() < options_.corrupt && !bytes->empty()) {
    ++counts_.corrupted;
    (*bytes)[random_() % bytes->size()] ^=
        static_cast<char>(1 << random_() % 8);
  }
}

void FaultInjectingStore::PutWithTrailerImpl(const std::string& key,
                                             std::string_view data,
                                             std::string_view trailer) {
  BeforeCall("put of", key);
  ObjectStoreWrapper::PutWithTrailerImpl(key, data, trailer);
}

std::optional<std::string> FaultInjectingStore::GetImpl(
    const std::string& key) {
  BeforeCall("get of", key);
  std::optional<std::string> bytes = ObjectStoreWrapper::GetImpl(key);
  if (bytes) AfterRead(&*bytes);
  return bytes;
}

std::optional<SharedBytes> FaultInjectingStore::MapImpl(
    const std::string& key) {
  std::optional<std::string> bytes = GetImpl(key);
  if (!bytes) return std::nullopt;
  return SharedBytes(std::move(*bytes));
}

std::optional<std::string> FaultInjectingStore::GetRangeImpl(
    const std::string& key, uint64_t offset, uint64_t length) {
  BeforeCall("ranged get of", key);
  std::optional<std::string> bytes =
      ObjectStoreWrapper::GetRangeImpl(key, offset, length);
  if (bytes) AfterRead(&*bytes);
  return bytes;
}

std::optional<uint64_t> FaultInjectingStore::SizeImpl(const std::string& key) {
  BeforeCall("size of", key);
  return ObjectStoreWrapper::SizeImpl(key);
}

std::vector<std::string> FaultInjectingStore::ListImpl(
    const std::string& prefix) {
  BeforeCall("list of", prefix);
  return ObjectStoreWrapper::ListImpl(prefix);
}

void FaultInjectingStore::DeleteImpl(const std::string& key) {
  BeforeCall("delete of", key);
  ObjectStoreWrapper::DeleteImpl(key);
}

std::optional<ObjectStore::StoredTail> FaultInjectingStore::ReadTailImpl(
    const std::string& key, uint64_t length) {
  BeforeCall("read of the end of", key);
  std::optional<StoredTail> tail =
      ObjectStoreWrapper::ReadTailImpl(key, length);
  if (tail) AfterRead(&tail->bytes);
  return tail;
}

namespace {

[[noreturn]] void BadParameter(const std::string& uri, const std::string& name,
                               const std::string& value, const char* want) {
  throw Error(ErrorCode::kInvalidArgument, "fault store URI '" + uri +
                                               "': parameter " + name + "='" +
                                               value + "' must be " + want);
}

double ParseProbability(const std::string& uri, const std::string& name,
                        const std::string& value) {
  size_t used = 0;
  double p = -1;
  try {
    p = std::stod(value, &used);
  } catch (const std::exception&) {
  }
  if (used != value.size() || !(p >= 0 && p <= 1)) {
    BadParameter(uri, name, value, "a probability from 0 to 1");
  }
  return p;
}

uint64_t ParseCount(const std::string& uri, const std::string& name,
                    const std::string& value) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    if (!value.empty() && value[0] != '-') n = std::stoull(value, &used);
  } catch (const std::exception&) {
  }
  if (used == 0 || used != value.size()) {
    BadParameter(uri, name, value, "a non-negative integer");
  }
  return n;
}

bool IsFaultParameter(std::string_view name) {
  for (std::string_view known :
       {"unavailable", "slow", "slow_ms", "truncate", "corrupt", "seed"}) {
    if (name == known) return true;
  }
  return false;
}

// text without its "fault+" prefix and its fault parameters, byte for byte
// otherwise (the wrapped store parses its own parameters).
std::string InnerUri(const std::string& text) {
  std::string inner = text.substr(kPrefix.size());
  size_t question = inner.find('?');
  if (question == std::string::npos) return inner;
  std::string query = inner.substr(question + 1), kept;
  inner.resize(question);
  for (size_t start = 0; start <= query.size();) {
    size_t amp = std::min(query.find('&', start), query.size());
    std::string pair = query.substr(start, amp - start);
    if (!pair.empty() && !IsFaultParameter(pair.substr(0, pair.find('=')))) {
      kept += (kept.empty() ? "" : "&") + pair;
    }
    start = amp + 1;
  }
  return kept.empty() ? inner : inner + "?" + kept;
}

}  // namespace

std::unique_ptr<ObjectStore> OpenFaultInjectingStore(const std::string& text) {
  tern::Uri uri = tern::Uri::Parse(text);
  FaultOptions options;
  for (const auto& [name, value] : uri.query) {
    if (name == "unavailable") {
      options.unavailable = ParseProbability(text, name, value);
    } else if (name == "slow") {
      options.slow = ParseProbability(text, name, value);
    } else if (name == "slow_ms") {
      options.slow_delay =
          std::chrono::milliseconds(ParseCount(text, name, value));
    } else if (name == "truncate") {
      options.truncate = ParseProbability(text, name, value);
    } else if (name == "corrupt") {
      options.corrupt = ParseProbability(text, name, value);
    } else if (name == "seed") {
      options.seed = ParseCount(text, name, value);
    }
  }
  return std::make_unique<FaultInjectingStore>(
      ObjectStore::Open(InnerUri(text)), options);
}

}  // namespace tern
