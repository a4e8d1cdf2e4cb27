// ObjectStoreWrapper: an ObjectStore that forwards every call to another, so
// that a wrapper overrides only what it changes (as leveldb's EnvWrapper
// does). The *Impl methods move stored bytes, trailers included: a wrapper
// sees, and may alter, what the wrapped store returns before the checksums
// are verified. Thread-safe when the wrapped store is.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "tern/object_store.h"

namespace tern {

class ObjectStoreWrapper : public ObjectStore {
 public:
  explicit ObjectStoreWrapper(std::unique_ptr<ObjectStore> target)
      : target_(std::move(target)) {}

  ObjectStore* target() const { return target_.get(); }

  std::string Uri() const override { return target_->Uri(); }

 protected:
  void PutWithTrailerImpl(const std::string& key, std::string_view data,
                          std::string_view trailer) override {
    target_->PutWithTrailerImpl(key, data, trailer);
  }
  std::optional<std::string> GetImpl(const std::string& key) override {
    return target_->GetImpl(key);
  }
  std::optional<SharedBytes> MapImpl(const std::string& key) override {
    return target_->MapImpl(key);
  }
  std::optional<std::string> GetRangeImpl(const std::string& key,
                                          uint64_t offset,
                                          uint64_t length) override {
    return target_->GetRangeImpl(key, offset, length);
  }
  std::optional<uint64_t> SizeImpl(const std::string& key) override {
    return target_->SizeImpl(key);
  }
  std::vector<std::string> ListImpl(const std::string& prefix) override {
    return target_->ListImpl(prefix);
  }
  void DeleteImpl(const std::string& key) override { target_->DeleteImpl(key); }
  std::optional<StoredTail> ReadTailImpl(const std::string& key,
                                         uint64_t length) override {
    return target_->ReadTailImpl(key, length);
  }

 private:
  const std::unique_ptr<ObjectStore> target_;
};

}  // namespace tern
