#include "tern/object_store.h"

#include "storage/stores.h"
#include "tern/errors.h"
#include "util/uri.h"

namespace tern {

void ObjectStore::CheckKey(std::string_view key) {
  auto bad = [&](const char* why) {
    throw Error(ErrorCode::kInvalidArgument,
                "invalid object key '" + std::string(key) + "': " + why);
  };
  if (key.empty()) bad("empty");
  if (key.find('\0') != std::string_view::npos) bad("contains NUL");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) bad("empty path segment");
    if (segment == "." || segment == "..") bad("'.' or '..' segment");
    start = end + 1;
  }
}

void ObjectStore::Put(std::string_view key, std::string_view data) {
  CheckKey(key);
  PutImpl(std::string(key), data);
}

std::optional<std::string> ObjectStore::Get(std::string_view key) {
  CheckKey(key);
  return GetImpl(std::string(key));
}

std::string ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                  uint64_t length) {
  CheckKey(key);
  std::optional<std::string> bytes =
      GetRangeImpl(std::string(key), offset, length);
  if (!bytes) {
    throw Error(ErrorCode::kNotFound,
                "object '" + std::string(key) + "' not found in " + Uri());
  }
  return std::move(*bytes);
}

std::optional<uint64_t> ObjectStore::Size(std::string_view key) {
  CheckKey(key);
  return SizeImpl(std::string(key));
}

std::vector<std::string> ObjectStore::List(std::string_view prefix) {
  return ListImpl(std::string(prefix));
}

void ObjectStore::Delete(std::string_view key) {
  CheckKey(key);
  DeleteImpl(std::string(key));
}

std::unique_ptr<ObjectStore> ObjectStore::Open(const std::string& text) {
  tern::Uri uri = tern::Uri::Parse(text);
  if (uri.scheme == "file") return OpenFileStore(uri);
  if (uri.scheme == "mem") return OpenMemStore(uri);
  if (uri.scheme == "s3") return OpenS3Store(uri);
  throw Error(ErrorCode::kInvalidArgument,
              "unknown object store scheme '" + uri.scheme + "' in '" + text +
                  "' (expected file://, mem:// or s3://)");
}

}  // namespace tern
