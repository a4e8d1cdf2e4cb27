// FaultInjectingStore: an ObjectStore that passes every call on to another
// and, at random, makes it fail the way a real store does, so that tests can
// check that tern loses nothing when its storage misbehaves (after leveldb's
// fault_injection_test).
//
// For every call it draws, in this order:
//   unavailable  throw Error(kUnavailable) before the call reaches the store,
//                as an HTTP 503 or a refused connection would
//   slow         sleep slow_delay before the call, as a loaded server would
// and for every read of stored bytes (Get, and the reads behind GetRange and
// Size), after the store has answered:
//   truncate     drop 1 to all of the bytes at the end, as a cut connection
//   corrupt      flip one bit of one byte
// The checksums (object_store.cc) turn the last two into Error(kCorruption)
// naming the key; GetRange and Size read again before giving up.
//
// ObjectStore::Open makes one from the URI
//   fault+<uri>?unavailable=P&slow=P&slow_ms=N&truncate=P&corrupt=P&seed=N
// where each P is a probability from 0 to 1 (default 0), slow_ms defaults to
// 100, and seed (default: random) makes the faults repeatable. The store is
// <uri> with those parameters removed (its own stay). Worker processes take
// their store URI from the configuration (TERN_STORE), which is how a chaos
// test injects faults into them.
//
// Thread-safe. One thread with a seed sees the same faults on every run;
// with several threads, which thread draws which fault depends on timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "storage/store_wrapper.h"

namespace tern {

struct FaultOptions {
  // Probability that a call throws Error(kUnavailable) without reaching the
  // wrapped store.
  double unavailable = 0;
  // Probability that a call first sleeps for slow_delay.
  double slow = 0;
  std::chrono::milliseconds slow_delay{100};
  // Probability that a read loses bytes at its end.
  double truncate = 0;
  // Probability that a read has one bit flipped.
  double corrupt = 0;
  // Seeds the random draws; std::nullopt seeds them from std::random_device.
  std::optional<uint64_t> seed;
};

// How many calls the store has seen and how many faults it injected.
struct FaultCounts {
  uint64_t calls = 0;
  uint64_t unavailable = 0;
  uint64_t slow = 0;
  uint64_t truncated = 0;
  uint64_t corrupted = 0;
};

class FaultInjectingStore : public ObjectStoreWrapper {
 public:
  FaultInjectingStore(std::unique_ptr<ObjectStore> target,
                      const FaultOptions& options);

  // "fault+" and the wrapped store's URI, with the non-default options.
  std::string Uri() const override;

  // Replaces the options from the next call on. The random sequence goes on
  // (a new seed is ignored), so that a test can turn faults on and off.
  void SetOptions(const FaultOptions& options);

  FaultCounts counts() const;

 private:
  void PutWithTrailerImpl(const std::string& key, std::string_view data,
                          std::string_view trailer) override;
  std::optional<std::string> GetImpl(const std::string& key) override;
  // Through GetImpl, faults and all: never the target's mapping.
  std::optional<SharedBytes> MapImpl(const std::string& key) override;
  std::optional<std::string> GetRangeImpl(const std::string& key,
                                          uint64_t offset,
                                          uint64_t length) override;
  std::optional<uint64_t> SizeImpl(const std::string& key) override;
  std::vector<std::string> ListImpl(const std::string& prefix) override;
  void DeleteImpl(const std::string& key) override;
  std::optional<StoredTail> ReadTailImpl(const std::string& key,
                                         uint64_t length) override;

  // Draws the faults of a call that is about to happen: throws or sleeps.
  void BeforeCall(const char* what, const std::string& key);
  // Draws the faults of stored bytes a read returned, and applies them.
  void AfterRead(std::string* bytes);
  // A uniform draw from [0, 1). REQUIRES: mu_ held.
  double Draw();

  mutable std::mutex mu_;
  FaultOptions options_;    // guarded by mu_
  std::mt19937_64 random_;  // guarded by mu_
  FaultCounts counts_;      // guarded by mu_
};

}  // namespace tern
