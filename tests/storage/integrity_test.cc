// Checksums of stored objects (object_store.cc) and the FaultInjectingStore:
// bytes damaged on disk or on the way back are reported as kCorruption naming
// the key and the store, never returned.

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/fault_injecting_store.h"
#include "support/throws_error.h"
#include "tern/errors.h"
#include "tern/object_store.h"
#include "util/crc32c.h"

namespace tern {
namespace {

constexpr uint64_t kBlock = 1 << 20;  // the format's checksum block

using testing_support::ThrowsError;

std::string Bytes(size_t n, uint64_t seed = 1) {
  std::mt19937_64 random(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

// The CRC-32C of data, one bit at a time: the definition.
uint32_t SlowCrc32c(std::string_view data) {
  uint32_t crc = ~0u;
  for (char c : data) {
    crc ^= static_cast<uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78 : 0);
    }
  }
  return ~crc;
}

TEST(Crc32cTest, MatchesPublishedValues) {
  EXPECT_EQ(crc32c::Value(""), 0u);
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  // RFC 3720, B.4.
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c::Value(std::string(32, '\xff')), 0x62a8ab43u);
}

TEST(Crc32cTest, BlocksMatchTheDefinition) {
  for (size_t block : {1, 7, 8, 64, 1000}) {
    for (size_t size : {0, 1, 7, 9, 3 * 1000, 3 * 1000 + 1, 7 * 1000 - 5}) {
      std::string data = Bytes(size, block + size);
      size_t blocks = (size + block - 1) / block;
      std::vector<uint32_t> crcs(blocks + 1, 0xdeadbeef);
      crc32c::Blocks(data, block, crcs.data());
      for (size_t i = 0; i < blocks; ++i) {
        EXPECT_EQ(crcs[i], SlowCrc32c(data.substr(i * block, block)))
            << "block " << i << " of " << block << ", size " << size;
      }
      EXPECT_EQ(crcs[blocks], 0xdeadbeef) << "wrote past the last block";
    }
  }
}

class IntegrityTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/tern-integrity-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    store_ = ObjectStore::Open("file://" + dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The file holding key (file_store.cc's mapping), for keys without '/'.
  std::string PathOf(const std::string& key) const {
    return dir_ + "/" + key + ".obj";
  }
  std::string ReadFile(const std::string& key) const {
    std::ifstream in(PathOf(key), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteFile(const std::string& key, const std::string& bytes) const {
    std::ofstream(PathOf(key), std::ios::binary | std::ios::trunc) << bytes;
  }
  void FlipByte(const std::string& key, uint64_t offset) const {
    std::string bytes = ReadFile(key);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] ^= 0x20;
    WriteFile(key, bytes);
  }
  void Truncate(const std::string& key, uint64_t size) const {
    std::filesystem::resize_file(PathOf(key), size);
  }
  // Every read of key, mapped or copied, throws kCorruption naming it and
  // the store.
  void ExpectCorrupt(const std::string& key, const std::string& why) {
    std::vector<std::string> mentions = {"'" + key + "'", "file://" + dir_,
                                         why};
    EXPECT_TRUE(ThrowsError([&] { store_->Get(key); }, ErrorCode::kCorruption,
                            mentions));
    EXPECT_TRUE(ThrowsError([&] { store_->Map(key); }, ErrorCode::kCorruption,
                            mentions));
  }

  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(IntegrityTest, TheTrailerIsTheDocumentedFormat) {
  std::string data = Bytes(kBlock + 10);
  store_->Put("k", data);
  std::string stored = ReadFile("k");
  ASSERT_EQ(stored.size(), data.size() + 2 * 4 + 16);
  EXPECT_EQ(stored.substr(0, data.size()), data);
  std::string crcs = stored.substr(data.size(), 8);
  for (int block = 0; block < 2; ++block) {
    uint32_t crc = 0;
    for (int i = 0; i < 4; ++i) {
      crc |= uint32_t{static_cast<uint8_t>(crcs[4 * block + i])} << (8 * i);
    }
    EXPECT_EQ(
        crc, SlowCrc32c(std::string_view(data).substr(block * kBlock, kBlock)));
  }
  std::string footer = stored.substr(stored.size() - 16);
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length |= uint64_t{static_cast<uint8_t>(footer[i])} << (8 * i);
  }
  EXPECT_EQ(length, data.size());
  EXPECT_EQ(footer[8], 1) << "format version";
  EXPECT_EQ(footer.substr(9), "TERNSUM");
}

TEST_F(IntegrityTest, AFlippedDataByteIsCorruptionNamingTheKey) {
  store_->Put("k", "hello, world");
  FlipByte("k", 4);
  ExpectCorrupt("k", "block 0 (bytes 0 to 11) fails its CRC-32C checksum");
  EXPECT_TRUE(ThrowsError([&] { store_->GetRange("k", 0, 3); },
                          ErrorCode::kCorruption, {"'k'", "block 0"}));
  EXPECT_EQ(store_->Size("k"), 12u) << "Size reads only the trailer";
}

TEST_F(IntegrityTest, AFlippedByteInTheTrailerIsCorruption) {
  const std::string data = Bytes(100);
  for (uint64_t offset : {100, 103, 104, 111, 112, 113, 119}) {
    SCOPED_TRACE("stored byte " + std::to_string(offset));
    store_->Put("k", data);
    FlipByte("k", offset);
    ExpectCorrupt("k", "is corrupt");
  }
  store_->Put("k", data);
  FlipByte("k", 119);  // the magic
  ExpectCorrupt("k", "has no tern checksum trailer");
  EXPECT_TRUE(ThrowsError([&] { store_->Size("k"); }, ErrorCode::kCorruption,
                          {"'k'", "has no tern checksum trailer"}));
}

TEST_F(IntegrityTest, ATruncatedObjectIsCorruption) {
  const std::string data = Bytes(3 * kBlock);
  const uint64_t stored = data.size() + 3 * 4 + 16;
  for (uint64_t size : {stored - 1, stored - 16, stored - 17, 2 * kBlock,
                        uint64_t{15}, uint64_t{0}}) {
    SCOPED_TRACE("truncated to " + std::to_string(size));
    store_->Put("k", data);
    Truncate("k", size);
    ExpectCorrupt("k", "is corrupt");
    EXPECT_TRUE(ThrowsError([&] { store_->Size("k"); }, ErrorCode::kCorruption,
                            {"'k'"}));
    EXPECT_TRUE(ThrowsError([&] { store_->GetRange("k", 0, 10); },
                            ErrorCode::kCorruption, {"'k'"}));
  }
}

TEST_F(IntegrityTest, AnExtendedObjectIsCorruption) {
  store_->Put("k", "data");
  WriteFile("k", ReadFile("k") + "x");
  ExpectCorrupt("k", "is corrupt");
}

TEST_F(IntegrityTest, AnObjectWrittenByAnotherToolIsRejected) {
  WriteFile("raw", "plain bytes that some other program wrote");
  ExpectCorrupt("raw", "has no tern checksum trailer");
  WriteFile("empty", "");
  ExpectCorrupt("empty", "has no tern checksum trailer");
  EXPECT_TRUE(ThrowsError([&] { store_->Size("empty"); },
                          ErrorCode::kCorruption, {"'empty'"}));
}

TEST_F(IntegrityTest, ARangeOverACorruptBlockIsCorruption) {
  const std::string data = Bytes(3 * kBlock + 100);
  store_->Put("k", data);
  FlipByte("k", kBlock + 5);
  const std::string why = "block 1 (bytes 1048576 to 2097151)";
  EXPECT_TRUE(ThrowsError([&] { store_->GetRange("k", kBlock + 5, 1); },
                          ErrorCode::kCorruption, {"'k'", why}));
  EXPECT_TRUE(ThrowsError([&] { store_->GetRange("k", kBlock - 1, 2); },
                          ErrorCode::kCorruption, {"'k'", why}));
  EXPECT_TRUE(ThrowsError([&] { store_->GetRange("k", 2 * kBlock - 1, 1); },
                          ErrorCode::kCorruption, {"'k'", why}));
  // Ranges that touch only intact blocks still read.
  EXPECT_EQ(store_->GetRange("k", 0, kBlock), data.substr(0, kBlock));
  EXPECT_EQ(store_->GetRange("k", 2 * kBlock, 10), data.substr(2 * kBlock, 10));
  EXPECT_EQ(store_->GetRange("k", 3 * kBlock, 1000), data.substr(3 * kBlock));
  ExpectCorrupt("k", why);
}

TEST_F(IntegrityTest, RangesAreRightAtBlockBoundaries) {
  for (uint64_t size : {2 * kBlock, 2 * kBlock + 7}) {
    const std::string data = Bytes(size);
    store_->Put("k", data);
    for (uint64_t offset : {uint64_t{0}, kBlock - 1, kBlock, kBlock + 1,
                            2 * kBlock - 1, 2 * kBlock, 2 * kBlock + 1}) {
      for (uint64_t length : {uint64_t{1}, uint64_t{2}, kBlock - 1, kBlock,
                              kBlock + 1, 3 * kBlock, UINT64_MAX}) {
        std::string want = offset < size ? data.substr(offset, length) : "";
        EXPECT_TRUE(store_->GetRange("k", offset, length) == want)
            << "size " << size << ", offset " << offset << ", length "
            << length;
      }
    }
  }
}

TEST_F(IntegrityTest, SizesAroundBlockBoundariesRoundTrip) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, kBlock - 1, kBlock,
                        kBlock + 1, 2 * kBlock, 5 * kBlock + 3}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const std::string data = Bytes(size, size);
    store_->Put("k", data);
    EXPECT_EQ(store_->Size("k"), size);
    EXPECT_TRUE(store_->Get("k") == data);
    EXPECT_EQ(ReadFile("k").size(),
              size + 4 * ((size + kBlock - 1) / kBlock) + 16);
  }
}

TEST_F(IntegrityTest, AnEmptyObjectIsItsFooterAlone) {
  store_->Put("empty", "");
  EXPECT_EQ(ReadFile("empty").size(), 16u);
  EXPECT_EQ(store_->Get("empty"), "");
  EXPECT_EQ(store_->Size("empty"), 0u);
  EXPECT_EQ(store_->GetRange("empty", 0, 10), "");
  FlipByte("empty", 0);  // its length
  ExpectCorrupt("empty", "its trailer describes");
}

TEST_F(IntegrityTest, A100MBObjectRoundTrips) {
  std::string big(100'000'000, '\0');
  for (size_t i = 0; i < big.size(); i += 8) {
    big[i] = static_cast<char>(i * 2654435761u >> 24);
  }
  store_->Put("big", big);
  EXPECT_EQ(store_->Size("big"), big.size());
  std::optional<std::string> back = store_->Get("big");
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == big);
  EXPECT_TRUE(store_->GetRange("big", 77'777'777, 3 * kBlock) ==
              big.substr(77'777'777, 3 * kBlock));
  FlipByte("big", 99'999'999);
  ExpectCorrupt("big", "block 95 (bytes 99614720 to 99999999)");
}

// Opens a fault store over a fresh mem:// store.
std::unique_ptr<ObjectStore> OpenFaulty(const std::string& params) {
  static int counter = 0;
  return ObjectStore::Open("fault+mem://integrity-" + std::to_string(getpid()) +
                           "-" + std::to_string(counter++) + "?" + params);
}

FaultInjectingStore& Faults(ObjectStore& store) {
  auto* faulty = dynamic_cast<FaultInjectingStore*>(&store);
  if (faulty == nullptr) throw std::logic_error("not a FaultInjectingStore");
  return *faulty;
}

TEST(FaultInjectingStoreTest, UnavailableThrowsUnavailable) {
  std::unique_ptr<ObjectStore> store = OpenFaulty("unavailable=1&seed=7");
  EXPECT_TRUE(ThrowsError([&] { store->Put("k", "v"); },
                          ErrorCode::kUnavailable, {"'k'", "injected"}));
  EXPECT_TRUE(
      ThrowsError([&] { store->Get("k"); }, ErrorCode::kUnavailable, {"'k'"}));
  EXPECT_TRUE(ThrowsError([&] { store->List(""); }, ErrorCode::kUnavailable,
                          {"injected"}));
  EXPECT_EQ(Faults(*store).counts().unavailable, 3u);
  Faults(*store).SetOptions({});
  store->Put("k", "v");
  EXPECT_EQ(store->Get("k"), "v");
}

TEST(FaultInjectingStoreTest, TruncatedReadsAreCaughtByTheChecksums) {
  std::unique_ptr<ObjectStore> store = OpenFaulty("seed=7");
  store->Put("k", Bytes(2 * kBlock + 3));
  FaultOptions faults;
  faults.truncate = 1;
  Faults(*store).SetOptions(faults);
  EXPECT_TRUE(ThrowsError([&] { store->Get("k"); }, ErrorCode::kCorruption,
                          {"'k'", "fault+mem://"}));
  EXPECT_TRUE(ThrowsError([&] { store->GetRange("k", kBlock, 10); },
                          ErrorCode::kCorruption, {"'k'"}));
  EXPECT_TRUE(
      ThrowsError([&] { store->Size("k"); }, ErrorCode::kCorruption, {"'k'"}));
  EXPECT_GT(Faults(*store).counts().truncated, 3u);
}

TEST(FaultInjectingStoreTest, CorruptedReadsAreCaughtByTheChecksums) {
  std::unique_ptr<ObjectStore> store = OpenFaulty("seed=7");
  store->Put("k", Bytes(1000));
  FaultOptions faults;
  faults.corrupt = 1;
  Faults(*store).SetOptions(faults);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(
        ThrowsError([&] { store->Get("k"); }, ErrorCode::kCorruption, {"'k'"}));
  }
  EXPECT_EQ(Faults(*store).counts().corrupted, 50u);
}

// Whatever the faults, a read returns the right bytes or throws.
TEST(FaultInjectingStoreTest, ReadsNeverReturnDamagedBytes) {
  std::unique_ptr<ObjectStore> store =
      OpenFaulty("truncate=0.3&corrupt=0.3&seed=11");
  const std::string data = Bytes(kBlock + 5000);
  store->Put("k", data);  // faults strike reads only
  int right = 0, corrupt = 0;
  for (int i = 0; i < 200; ++i) {
    try {
      if (i % 2 == 0) {
        EXPECT_TRUE(store->Get("k") == data);
      } else {
        EXPECT_EQ(store->GetRange("k", kBlock - 10, 20),
                  data.substr(kBlock - 10, 20));
      }
      ++right;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      ++corrupt;
    }
  }
  EXPECT_GT(right, 0);
  EXPECT_GT(corrupt, 0);
}

TEST(FaultInjectingStoreTest, SlowCallsAreCounted) {
  std::unique_ptr<ObjectStore> store = OpenFaulty("slow=1&slow_ms=1&seed=3");
  store->Put("k", "v");
  EXPECT_EQ(store->Get("k"), "v");
  EXPECT_EQ(store->Size("k"), 1u);
  FaultCounts counts = Faults(*store).counts();
  EXPECT_EQ(counts.calls, 3u);
  EXPECT_EQ(counts.slow, 3u);
}

TEST(FaultInjectingStoreTest, ASeedRepeatsTheFaults) {
  auto outcomes = [](const std::string& params) {
    std::unique_ptr<ObjectStore> store = OpenFaulty(params);
    std::string seen;
    for (int i = 0; i < 200; ++i) {
      try {
        store->Put("k", "v");
        seen += '.';
      } catch (const Error&) {
        seen += 'x';
      }
    }
    return seen;
  };
  std::string first = outcomes("unavailable=0.5&seed=42");
  EXPECT_EQ(outcomes("unavailable=0.5&seed=42"), first);
  EXPECT_NE(outcomes("unavailable=0.5&seed=43"), first);
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST(FaultInjectingStoreTest, TheUriWrapsTheInnerStoresUri) {
  char dir[] = "/tmp/tern-integrity-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::unique_ptr<ObjectStore> store = ObjectStore::Open(
      std::string("fault+file://") + dir + "?truncate=0.25&seed=9&slow_ms=5");
  EXPECT_EQ(store->Uri(), std::string("fault+file://") + dir +
                              "?slow_ms=5&truncate=0.25&seed=9");
  EXPECT_EQ(Faults(*store).target()->Uri(), std::string("file://") + dir);
  // The URI opens an equivalent store.
  EXPECT_EQ(ObjectStore::Open(store->Uri())->Uri(), store->Uri());
  std::filesystem::remove_all(dir);
}

TEST(FaultInjectingStoreTest, BadParametersAreInvalidArgument) {
  EXPECT_TRUE(ThrowsError([] { OpenFaulty("unavailable=1.5"); },
                          ErrorCode::kInvalidArgument,
                          {"unavailable='1.5'", "probability"}));
  EXPECT_TRUE(ThrowsError([] { OpenFaulty("slow=x"); },
                          ErrorCode::kInvalidArgument, {"slow='x'"}));
  EXPECT_TRUE(ThrowsError([] { OpenFaulty("slow_ms=-1"); },
                          ErrorCode::kInvalidArgument, {"slow_ms='-1'"}));
  // The wrapped store rejects what is not a fault parameter.
  EXPECT_TRUE(ThrowsError([] { OpenFaulty("unavailble=0.1"); },
                          ErrorCode::kInvalidArgument,
                          {"takes no query parameters"}));
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("fault+nope://x"); },
                          ErrorCode::kInvalidArgument, {"nope"}));
}

}  // namespace
}  // namespace tern
