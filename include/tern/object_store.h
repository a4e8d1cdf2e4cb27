// ObjectStore: where tern keeps bulk bytes (large task inputs and results,
// captured logs, later matrix blocks, shuffle partitions and runtimes).
//
// An object is an immutable byte string under a key. Keys are relative paths:
// non-empty, made of '/'-separated segments, none empty, "." or "..", no NUL.
// Every implementation is thread-safe, and safe across processes when the
// backing storage is shared (file://, s3://). A Put is atomic: a concurrent
// reader sees the whole old object or the whole new one, never a torn one.
//
// Open() picks the implementation from the URI's scheme:
//   file:///abs/dir    a directory on a local or shared file system; it must
//                      exist (tern never guesses where to create one)
//   mem://name         process-local memory; stores with the same name share
//                      objects within one process (tests, in-process runs)
//   s3://bucket/prefix?endpoint=http://host:port&region=us-east-1&path_style=true
//                      any S3-compatible server; credentials from the AWS
//                      environment variables or credentials file (see
//                      docs/user-guide.md for every parameter)
//
//   fault+<uri>?unavailable=0.1&slow=0.05&slow_ms=200&truncate=0.02&seed=7
//                      the store <uri> with faults injected at random, for
//                      chaos tests (src/storage/fault_injecting_store.h)
//
// Integrity: every object is stored with a trailer of CRC-32C checksums, one
// per 1 MiB block (src/storage/object_store.cc gives the format). Reads
// verify the blocks they return, so bytes that rotted, were truncated or were
// written by another tool are reported as Error(kCorruption) naming the key
// and the store, never returned.
//
// The public methods check their arguments once for every implementation,
// add or verify the checksums, and call the private virtual *Impl methods
// (the non-virtual-interface idiom), which move stored bytes, trailer
// included.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

// Immutable bytes shared by every copy of the handle, kept alive by an owner
// (a string, a memory mapping) that goes when the last copy does.
class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(std::string bytes);
  SharedBytes(std::shared_ptr<const void> owner, std::string_view bytes)
      : owner_(std::move(owner)), bytes_(bytes) {}

  std::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  // The first n bytes, sharing the owner.
  SharedBytes Prefix(size_t n) const { return {owner_, bytes_.substr(0, n)}; }

 private:
  std::shared_ptr<const void> owner_;
  std::string_view bytes_;
};

class ObjectStore {
 public:
  // Opens the store named by uri.
  // Throws Error(kInvalidArgument) for a malformed URI or an unknown scheme,
  // Error(kNotFound) when a file:// directory does not exist,
  // Error(kUnavailable)/Error(kPermissionDenied) for unreachable or refusing
  // servers.
  static std::unique_ptr<ObjectStore> Open(const std::string& uri);

  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  virtual ~ObjectStore() = default;

  // Stores data under key, replacing any existing object atomically.
  void Put(std::string_view key, std::string_view data);

  // Returns the whole object, or std::nullopt if key does not exist.
  // Throws Error(kCorruption) naming key if it fails its checksums.
  std::optional<std::string> Get(std::string_view key);

  // Returns the whole object as Get does, but shared and, where the store
  // can, not copied: a file:// store maps the object's file into memory, so
  // that a read costs no copy and, for a file in memory (/dev/shm), no new
  // memory. The bytes stay valid and unchanged while the handle lives, even
  // if the object is replaced or deleted meanwhile (tern never changes an
  // object's file in place; another program truncating one while it is
  // mapped would crash the reader). Verified like Get.
  std::optional<SharedBytes> Map(std::string_view key);

  // Returns up to length bytes starting at offset (fewer at the end of the
  // object; empty when offset >= size). Reads and verifies every 1 MiB block
  // the range touches, whole.
  // Throws Error(kNotFound) if key does not exist, Error(kCorruption) if a
  // block the range touches fails its checksum.
  std::string GetRange(std::string_view key, uint64_t offset, uint64_t length);

  // Returns the object's size in bytes, or std::nullopt if it does not exist.
  // Reads only the object's trailer: throws Error(kCorruption) if that is
  // missing or does not match the stored length (a truncated object), but
  // does not verify the data.
  std::optional<uint64_t> Size(std::string_view key);

  // Returns every key that starts with prefix (a plain string prefix, not a
  // path), sorted. An empty prefix lists the whole store.
  std::vector<std::string> List(std::string_view prefix);

  // Removes key. Removing a missing key is not an error.
  void Delete(std::string_view key);

  // The URI this store was opened with (secrets masked).
  virtual std::string Uri() const = 0;

  // Throws Error(kInvalidArgument) naming key if it is not a valid key.
  static void CheckKey(std::string_view key);

 protected:
  // The stored size of an object and its last bytes.
  struct StoredTail {
    uint64_t size = 0;  // stored bytes, trailer included
    std::string bytes;  // the last min(size, requested) of them
  };

 private:
  friend class ObjectStoreWrapper;  // forwards the *Impl methods

  // The *Impl methods see stored bytes: the user's data and its trailer.

  // Stores the concatenation of data and trailer under key, atomically.
  // The default joins them, copying the object once, and calls PutImpl;
  // stores that can write two pieces (a file, a memory buffer) override it.
  virtual void PutWithTrailerImpl(const std::string& key, std::string_view data,
                                  std::string_view trailer);
  // Stores data under key. Called only by the default PutWithTrailerImpl:
  // a store overrides one of the two (the default throws std::logic_error).
  virtual void PutImpl(const std::string& key, std::string_view data);
  virtual std::optional<std::string> GetImpl(const std::string& key) = 0;
  // The stored bytes of key, shared; the default calls GetImpl.
  virtual std::optional<SharedBytes> MapImpl(const std::string& key);
  virtual std::optional<std::string> GetRangeImpl(const std::string& key,
                                                  uint64_t offset,
                                                  uint64_t length) = 0;
  virtual std::optional<uint64_t> SizeImpl(const std::string& key) = 0;
  virtual std::vector<std::string> ListImpl(const std::string& prefix) = 0;
  virtual void DeleteImpl(const std::string& key) = 0;
  // Returns the stored size and the last length bytes (all of them when the
  // object is shorter), or std::nullopt if key does not exist. The default
  // calls SizeImpl and GetRangeImpl; a store that can read both at once
  // overrides it, so that a concurrent Put cannot fall between the two.
  virtual std::optional<StoredTail> ReadTailImpl(const std::string& key,
                                                 uint64_t length);

  // One attempt of Size and of GetRange, which retry a read that a
  // concurrent Put may have torn (their trailer and data come from two reads).
  std::optional<uint64_t> SizeOnce(const std::string& key);
  uint64_t VerifyWhole(std::string_view key, std::string_view stored) const;
  std::string GetRangeOnce(const std::string& key, uint64_t offset,
                           uint64_t length);
};

}  // namespace tern
