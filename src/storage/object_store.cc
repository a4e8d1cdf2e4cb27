// The checks and the checksums common to every ObjectStore.
//
// On-store format, version 1. Put stores the user's n bytes followed by a
// trailer, so that user offsets are stored offsets:
//
//   data      n bytes                  the user's bytes
//   crcs      4 * ceil(n / 1 MiB)      CRC-32C of each 1 MiB block of data
//                                      (the last block may be shorter),
//                                      little-endian
//   length    8 bytes                  n, little-endian
//   version   1 byte                   1
//   magic     7 bytes                  "TERNSUM"
//
// An empty object is thus the 16-byte footer alone, and a 100 MB one carries
// 416 bytes of trailer. The stored size is n + 4 * ceil(n / 1 MiB) + 16,
// which Get, Size and GetRange check against the footer's length, so a
// truncated or extended object is caught before its blocks are.
//
// Get reads the whole object and verifies every block. GetRange reads the
// blocks its range touches, whole, and verifies those (a 10-byte range costs
// up to 1 MiB of reading). It first reads the object's last 64 KiB, which
// hold the footer and the whole CRC table of any object up to 16 GiB, and
// all of any object up to ~64 KiB, which then needs no second read. Size
// reads the 16-byte footer. Objects without the footer (written by another
// tool, or by a tern before version 1) are rejected as corrupt rather than
// guessed at: a truncated object has lost its footer too, and must never
// pass for a raw one (docs/architecture.md, "Integrity").

#include "tern/object_store.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/stores.h"
#include "tern/errors.h"
#include "util/crc32c.h"
#include "util/uri.h"

namespace tern {
namespace {

constexpr uint64_t kBlockSize = 1 << 20;
constexpr uint64_t kCrcSize = 4;
constexpr uint64_t kFooterSize = 16;
constexpr char kVersion = 1;
constexpr std::string_view kMagic = "TERNSUM";
static_assert(8 + 1 + kMagic.size() == kFooterSize);
constexpr uint64_t kTailRead = 64 << 10;  // what GetRange reads first
// Size and GetRange read an object's trailer and its data separately, so a
// concurrent Put may tear them apart; they try again before reporting.
constexpr int kReadAttempts = 3;

uint64_t BlockCount(uint64_t n) {
  return n / kBlockSize + (n % kBlockSize != 0);
}

void EncodeFixed32(char* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

void EncodeFixed64(char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

uint32_t DecodeFixed32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  }
  return value;
}

uint64_t DecodeFixed64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  }
  return value;
}

std::string Trailer(std::string_view data) {
  uint64_t blocks = BlockCount(data.size());
  std::string trailer(kCrcSize * blocks + kFooterSize, '\0');
  std::vector<uint32_t> crcs(blocks);
  crc32c::Blocks(data, kBlockSize, crcs.data());
  for (uint64_t i = 0; i < blocks; ++i) {
    EncodeFixed32(&trailer[kCrcSize * i], crcs[i]);
  }
  char* footer = &trailer[kCrcSize * blocks];
  EncodeFixed64(footer, data.size());
  footer[8] = kVersion;
  std::memcpy(footer + 9, kMagic.data(), kMagic.size());
  return trailer;
}

// Checks stored objects of one key of one store.
class Verifier {
 public:
  Verifier(const ObjectStore& store, std::string_view key)
      : store_(store), key_(key) {}

  [[noreturn]] void Corrupt(const std::string& why) const {
    throw Error(ErrorCode::kCorruption, "object '" + std::string(key_) +
                                            "' in " + store_.Uri() +
                                            " is corrupt: " + why);
  }

  // Returns the user's size from the last bytes (at least the footer's, or
  // all) of an object of stored_size bytes.
  uint64_t Footer(uint64_t stored_size, std::string_view tail) const {
    if (stored_size < kFooterSize || !tail.ends_with(kMagic)) {
      Corrupt("it has no tern checksum trailer (it is " +
              std::to_string(stored_size) +
              " bytes long; truncated, or not written by tern)");
    }
    const char* footer = tail.data() + tail.size() - kFooterSize;
    if (footer[8] != kVersion) {
      Corrupt("its checksum trailer has format version " +
              std::to_string(static_cast<uint8_t>(footer[8])) +
              "; this tern reads version " + std::to_string(kVersion));
    }
    uint64_t n = DecodeFixed64(footer);
    uint64_t trailer = kCrcSize * BlockCount(n) + kFooterSize;
    if (n > stored_size || stored_size - n != trailer) {
      Corrupt("it is " + std::to_string(stored_size) +
              " bytes long, but its trailer describes " + std::to_string(n) +
              " bytes of data (truncated or overwritten)");
    }
    return n;
  }

  // Checks data, the blocks from first_block on, against crcs, their
  // entries of the CRC table.
  void Blocks(std::string_view data, uint64_t first_block,
              std::string_view crcs) const {
    constexpr uint64_t kChunk = 63;  // blocks checked per Blocks() call
    uint32_t actual[kChunk];
    for (uint64_t done = 0; done < data.size();) {
      std::string_view chunk = data.substr(done, kChunk * kBlockSize);
      crc32c::Blocks(chunk, kBlockSize, actual);
      for (uint64_t i = 0; i < BlockCount(chunk.size()); ++i) {
        uint64_t block = (done / kBlockSize) + i;
        uint32_t stored = DecodeFixed32(crcs.data() + kCrcSize * block);
        if (stored == actual[i]) continue;
        uint64_t begin = (first_block + block) * kBlockSize;
        uint64_t last =
            begin - 1 +
            std::min(kBlockSize, data.size() - done - i * kBlockSize);
        Corrupt("block " + std::to_string(first_block + block) + " (bytes " +
                std::to_string(begin) + " to " + std::to_string(last) +
                ") fails its CRC-32C checksum");
      }
      done += chunk.size();
    }
  }

 private:
  const ObjectStore& store_;
  const std::string_view key_;
};

}  // namespace

std::string StoredForm(std::string_view data) {
  std::string stored(data);
  stored += Trailer(data);
  return stored;
}

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
  PutWithTrailerImpl(std::string(key), data, Trailer(data));
}

// Verifies a whole stored object of key; returns the user's size.
uint64_t ObjectStore::VerifyWhole(std::string_view key,
                                  std::string_view stored) const {
  Verifier verify(*this, key);
  uint64_t n = verify.Footer(stored.size(), stored);
  verify.Blocks(stored.substr(0, n), 0, stored.substr(n));
  return n;
}

std::optional<std::string> ObjectStore::Get(std::string_view key) {
  CheckKey(key);
  std::optional<std::string> stored = GetImpl(std::string(key));
  if (!stored) return std::nullopt;
  stored->resize(VerifyWhole(key, *stored));
  return stored;
}

std::optional<SharedBytes> ObjectStore::Map(std::string_view key) {
  CheckKey(key);
  std::optional<SharedBytes> stored = MapImpl(std::string(key));
  if (!stored) return std::nullopt;
  return stored->Prefix(VerifyWhole(key, stored->view()));
}

std::optional<SharedBytes> ObjectStore::MapImpl(const std::string& key) {
  std::optional<std::string> stored = GetImpl(key);
  if (!stored) return std::nullopt;
  return SharedBytes(std::move(*stored));
}

SharedBytes::SharedBytes(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  bytes_ = *owned;
  owner_ = std::move(owned);
}

std::string ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                  uint64_t length) {
  CheckKey(key);
  for (int attempt = 1;; ++attempt) {
    try {
      return GetRangeOnce(std::string(key), offset, length);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kCorruption || attempt == kReadAttempts) {
        throw;
      }
    }
  }
}

std::string ObjectStore::GetRangeOnce(const std::string& key, uint64_t offset,
                                      uint64_t length) {
  auto not_found = [&] {
    return Error(ErrorCode::kNotFound,
                 "object '" + key + "' not found in " + Uri());
  };
  Verifier verify(*this, key);
  std::optional<StoredTail> tail = ReadTailImpl(key, kTailRead);
  if (!tail) throw not_found();
  if (tail->bytes.size() != std::min(kTailRead, tail->size)) {
    verify.Corrupt("a read of its last " + std::to_string(kTailRead) +
                   " bytes returned " + std::to_string(tail->bytes.size()));
  }
  uint64_t n = verify.Footer(tail->size, tail->bytes);
  if (offset >= n || length == 0) return std::string();
  uint64_t end = offset + std::min(length, n - offset);
  uint64_t first_block = offset / kBlockSize;
  uint64_t end_block = BlockCount(end);

  // Stored bytes [begin, end), from the tail when it holds them.
  auto read = [&](uint64_t from, uint64_t to) {
    uint64_t tail_begin = tail->size - tail->bytes.size();
    if (from >= tail_begin) {
      return tail->bytes.substr(from - tail_begin, to - from);
    }
    std::optional<std::string> bytes = GetRangeImpl(key, from, to - from);
    if (!bytes) throw not_found();  // deleted since the tail was read
    if (bytes->size() != to - from) {
      verify.Corrupt("a read of bytes " + std::to_string(from) + " to " +
                     std::to_string(to) + " returned " +
                     std::to_string(bytes->size()) + " bytes");
    }
    return std::move(*bytes);
  };
  uint64_t begin = first_block * kBlockSize;
  std::string data = read(begin, std::min(end_block * kBlockSize, n));
  std::string crcs = read(n + kCrcSize * first_block, n + kCrcSize * end_block);
  verify.Blocks(data, first_block, crcs);
  data.erase(0, offset - begin);
  data.resize(end - offset);
  return data;
}

std::optional<uint64_t> ObjectStore::Size(std::string_view key) {
  CheckKey(key);
  for (int attempt = 1;; ++attempt) {
    try {
      return SizeOnce(std::string(key));
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kCorruption || attempt == kReadAttempts) {
        throw;
      }
    }
  }
}

std::optional<uint64_t> ObjectStore::SizeOnce(const std::string& key) {
  std::optional<StoredTail> tail = ReadTailImpl(key, kFooterSize);
  if (!tail) return std::nullopt;
  Verifier verify(*this, key);
  if (tail->bytes.size() != std::min(kFooterSize, tail->size)) {
    verify.Corrupt("a read of its last " + std::to_string(kFooterSize) +
                   " bytes returned " + std::to_string(tail->bytes.size()));
  }
  return verify.Footer(tail->size, tail->bytes);
}

std::vector<std::string> ObjectStore::List(std::string_view prefix) {
  return ListImpl(std::string(prefix));
}

void ObjectStore::Delete(std::string_view key) {
  CheckKey(key);
  DeleteImpl(std::string(key));
}

void ObjectStore::PutWithTrailerImpl(const std::string& key,
                                     std::string_view data,
                                     std::string_view trailer) {
  std::string stored;
  stored.reserve(data.size() + trailer.size());
  stored.append(data).append(trailer);
  PutImpl(key, stored);
}

void ObjectStore::PutImpl(const std::string&, std::string_view) {
  throw std::logic_error(
      "ObjectStore implementations must override PutImpl or "
      "PutWithTrailerImpl");
}

std::optional<ObjectStore::StoredTail> ObjectStore::ReadTailImpl(
    const std::string& key, uint64_t length) {
  std::optional<uint64_t> size = SizeImpl(key);
  if (!size) return std::nullopt;
  StoredTail tail;
  tail.size = *size;
  uint64_t n = std::min(length, *size);
  if (n == 0) return tail;
  std::optional<std::string> bytes = GetRangeImpl(key, *size - n, n);
  if (!bytes) return std::nullopt;
  tail.bytes = std::move(*bytes);
  return tail;
}

std::unique_ptr<ObjectStore> ObjectStore::Open(const std::string& text) {
  tern::Uri uri = tern::Uri::Parse(text);
  if (uri.scheme == "file") return OpenFileStore(uri);
  if (uri.scheme == "mem") return OpenMemStore(uri);
  if (uri.scheme == "s3") return OpenS3Store(uri);
  if (uri.scheme.starts_with("fault+")) return OpenFaultInjectingStore(text);
  throw Error(ErrorCode::kInvalidArgument,
              "unknown object store scheme '" + uri.scheme + "' in '" + text +
                  "' (expected file://, mem://, s3:// or fault+<scheme>://)");
}

}  // namespace tern
