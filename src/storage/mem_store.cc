// MemStore: an ObjectStore in process memory, for tests and in-process runs.
//
// Stores opened with the same mem://name share one set of objects through a
// process-wide registry. Objects live until the process exits, even when no
// store refers to them, so a store reopened by name sees what was put earlier
// (as a file:// store would). Objects are stored bytes: the user's data, then
// the checksum trailer that object_store.cc adds and verifies.

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/stores.h"
#include "tern/errors.h"

namespace tern {
namespace {

// The objects of one mem://name. Thread-safe.
struct Objects {
  std::mutex mu;
  std::map<std::string, std::string, std::less<>> map;  // guarded by mu
};

std::shared_ptr<Objects> FindOrCreate(const std::string& name) {
  static std::mutex mu;
  static auto* registry = new std::map<std::string, std::shared_ptr<Objects>>;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<Objects>& objects = (*registry)[name];
  if (!objects) objects = std::make_shared<Objects>();
  return objects;
}

class MemStore : public ObjectStore {
 public:
  MemStore(std::string name, std::shared_ptr<Objects> objects)
      : name_(std::move(name)), objects_(std::move(objects)) {}

  std::string Uri() const override { return "mem://" + name_; }

 private:
  void PutWithTrailerImpl(const std::string& key, std::string_view data,
                          std::string_view trailer) override {
    std::string copy;  // copied outside the lock
    copy.reserve(data.size() + trailer.size());
    copy.append(data).append(trailer);
    std::lock_guard<std::mutex> lock(objects_->mu);
    objects_->map[key] = std::move(copy);
  }

  std::optional<std::string> GetImpl(const std::string& key) override {
    return GetRangeImpl(key, 0, UINT64_MAX);
  }

  std::optional<std::string> GetRangeImpl(const std::string& key,
                                          uint64_t offset,
                                          uint64_t length) override {
    std::lock_guard<std::mutex> lock(objects_->mu);
    auto it = objects_->map.find(key);
    if (it == objects_->map.end()) return std::nullopt;
    const std::string& data = it->second;
    if (offset >= data.size()) return std::string();
    return data.substr(offset, length);
  }

  std::optional<StoredTail> ReadTailImpl(const std::string& key,
                                         uint64_t length) override {
    std::lock_guard<std::mutex> lock(objects_->mu);
    auto it = objects_->map.find(key);
    if (it == objects_->map.end()) return std::nullopt;
    const std::string& data = it->second;
    uint64_t n = std::min<uint64_t>(length, data.size());
    return StoredTail{.size = data.size(),
                      .bytes = data.substr(data.size() - n)};
  }

  std::optional<uint64_t> SizeImpl(const std::string& key) override {
    std::lock_guard<std::mutex> lock(objects_->mu);
    auto it = objects_->map.find(key);
    if (it == objects_->map.end()) return std::nullopt;
    return it->second.size();
  }

  std::vector<std::string> ListImpl(const std::string& prefix) override {
    std::vector<std::string> keys;
    std::lock_guard<std::mutex> lock(objects_->mu);
    for (auto it = objects_->map.lower_bound(prefix);
         it != objects_->map.end() && it->first.starts_with(prefix); ++it) {
      keys.push_back(it->first);
    }
    return keys;  // sorted: the map is
  }

  void DeleteImpl(const std::string& key) override {
    std::lock_guard<std::mutex> lock(objects_->mu);
    objects_->map.erase(key);
  }

  const std::string name_;
  const std::shared_ptr<Objects> objects_;
};

}  // namespace

std::unique_ptr<ObjectStore> OpenMemStore(const Uri& uri) {
  std::string name = uri.authority + uri.path;
  if (name.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "mem store URI 'mem://' needs a name: mem://name");
  }
  if (!uri.query.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "mem store URI 'mem://" + name + "' takes no query parameters");
  }
  return std::make_unique<MemStore>(name, FindOrCreate(name));
}

}  // namespace tern
