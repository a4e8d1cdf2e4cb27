// Conformance tests that every ObjectStore implementation must pass, run once
// per store kind, followed by tests specific to one implementation.
//
// To run the suite against another store, add a StoreKind to StoreKinds().
// S3 runs when TERN_TEST_S3_URI names a bucket prefix (e.g.
// s3://bucket/tern-tests?region=eu-west-1); each test uses a fresh sub-prefix.

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "support/throws_error.h"
#include "tern/errors.h"
#include "tern/object_store.h"

namespace tern {
namespace {

using Keys = std::vector<std::string>;

std::string MakeTempDir() {
  char dir[] = "/tmp/tern-store-test-XXXXXX";
  if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
  return dir;
}

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// The base URI with a fresh sub-prefix, or "" when TERN_TEST_S3_URI is unset.
std::string FreshS3Uri() {
  const char* base = std::getenv("TERN_TEST_S3_URI");
  if (base == nullptr || *base == '\0') return "";
  std::string uri = base;
  size_t query = std::min(uri.find('?'), uri.size());
  std::string path = uri.substr(0, query);
  while (path.ends_with("/")) path.pop_back();
  return path + "/conformance-" + UniqueSuffix() + uri.substr(query);
}

struct StoreKind {
  std::string name;                      // names the test
  std::function<std::string()> new_uri;  // a fresh empty store; "" to skip
};

void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

std::vector<StoreKind> StoreKinds() {
  return {
      {"file", [] { return "file://" + MakeTempDir(); }},
      {"mem", [] { return "mem://conformance-" + UniqueSuffix(); }},
      {"s3", FreshS3Uri},
      // The fault-injecting wrapper with every fault off must be invisible.
      {"fault_file",
       [] {
         return "fault+file://" + MakeTempDir() +
                "?unavailable=0&slow=0&truncate=0&corrupt=0&seed=1";
       }},
  };
}

// The directory of a file:// store's URI (through a fault+ wrapper), or "".
std::string FileStoreDir(std::string_view uri) {
  if (uri.starts_with("fault+")) uri.remove_prefix(6);
  if (!uri.starts_with("file://")) return "";
  uri.remove_prefix(7);
  return std::string(uri.substr(0, uri.find('?')));
}

std::string_view SchemeOf(std::string_view uri) {
  return uri.substr(0, uri.find("://"));
}

using testing_support::ThrowsError;

// Writer w's value. Lengths and bytes differ between writers, so a torn mix
// of two values never equals any writer's value.
std::string WriterValue(int w, size_t base_size) {
  return std::string(base_size + static_cast<size_t>(w) * 4099,
                     static_cast<char>('A' + w));
}

bool IsWriterValue(const std::string& value, int writers, size_t base_size) {
  for (int w = 0; w < writers; ++w) {
    if (value == WriterValue(w, base_size)) return true;
  }
  return false;
}

class ObjectStoreTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    uri_ = GetParam().new_uri();
    if (uri_.empty()) {
      GTEST_SKIP() << "no " << GetParam().name << " store configured"
                   << " (set TERN_TEST_S3_URI to run against S3)";
    }
    store_ = ObjectStore::Open(uri_);
  }

  // Deleting every key cleans up stores we cannot simply remove, like S3.
  void TearDown() override {
    if (store_) {
      for (const std::string& key : store_->List("")) store_->Delete(key);
    }
    if (std::string dir = FileStoreDir(uri_); !dir.empty()) {
      std::filesystem::remove_all(dir);
    }
  }

  std::string uri_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreTest, PutThenGetReturnsTheBytes) {
  store_->Put("greeting", "hello");
  EXPECT_EQ(store_->Get("greeting"), "hello");
}

TEST_P(ObjectStoreTest, EmptyObjectExists) {
  store_->Put("empty", "");
  EXPECT_EQ(store_->Get("empty"), "");
  EXPECT_EQ(store_->Size("empty"), 0u);
  EXPECT_EQ(store_->GetRange("empty", 0, 10), "");
  EXPECT_EQ(store_->List("empty"), Keys{"empty"});
}

TEST_P(ObjectStoreTest, BinaryBytesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 3 * 256; ++i) bytes += static_cast<char>(i % 256);
  store_->Put("binary", bytes);
  EXPECT_EQ(store_->Get("binary"), bytes);
  EXPECT_EQ(store_->GetRange("binary", 255, 3), std::string("\xff\0\x01", 3));
}

TEST_P(ObjectStoreTest, PutReplacesTheObject) {
  store_->Put("k", "a longer first value");
  store_->Put("k", "short");
  EXPECT_EQ(store_->Get("k"), "short");
  EXPECT_EQ(store_->Size("k"), 5u);
  EXPECT_EQ(store_->List(""), Keys{"k"});
}

TEST_P(ObjectStoreTest, MissingKeyIsNullopt) {
  store_->Put("present", "x");
  EXPECT_EQ(store_->Get("absent"), std::nullopt);
  EXPECT_EQ(store_->Size("absent"), std::nullopt);
  EXPECT_EQ(store_->Get("present/child"), std::nullopt);
  EXPECT_EQ(store_->Get("no/such/dir"), std::nullopt);
}

TEST_P(ObjectStoreTest, GetRangeOfMissingKeyThrowsNotFoundNamingKey) {
  EXPECT_TRUE(ThrowsError([&] { store_->GetRange("dir/absent", 0, 1); },
                          ErrorCode::kNotFound, "dir/absent"));
}

TEST_P(ObjectStoreTest, GetRangeReturnsTheRequestedBytes) {
  store_->Put("digits", "0123456789");
  EXPECT_EQ(store_->GetRange("digits", 0, 3), "012");
  EXPECT_EQ(store_->GetRange("digits", 4, 3), "456");
  EXPECT_EQ(store_->GetRange("digits", 7, 10), "789");
  EXPECT_EQ(store_->GetRange("digits", 3, 0), "");
  EXPECT_EQ(store_->GetRange("digits", 10, 5), "");
  EXPECT_EQ(store_->GetRange("digits", 25, 5), "");
  EXPECT_EQ(store_->GetRange("digits", 0, UINT64_MAX), "0123456789");
  EXPECT_EQ(store_->GetRange("digits", 9, UINT64_MAX), "9");
  EXPECT_EQ(store_->GetRange("digits", UINT64_MAX, UINT64_MAX), "");
}

TEST_P(ObjectStoreTest, SizeIsTheObjectLength) {
  store_->Put("a/sized", std::string(1234, 'z'));
  EXPECT_EQ(store_->Size("a/sized"), 1234u);
}

TEST_P(ObjectStoreTest, ListMatchesAPlainStringPrefixSorted) {
  for (const char* key : {"b", "abc/x", "a/c/d", "ab", "a", "a/b", "c"}) {
    store_->Put(key, key);
  }
  EXPECT_EQ(store_->List(""),
            (Keys{"a", "a/b", "a/c/d", "ab", "abc/x", "b", "c"}));
  EXPECT_EQ(store_->List("a"), (Keys{"a", "a/b", "a/c/d", "ab", "abc/x"}));
  EXPECT_EQ(store_->List("a/"), (Keys{"a/b", "a/c/d"}));
  EXPECT_EQ(store_->List("ab"), (Keys{"ab", "abc/x"}));
  EXPECT_EQ(store_->List("a/c"), Keys{"a/c/d"});
  EXPECT_EQ(store_->List("a/c/d"), Keys{"a/c/d"});
  EXPECT_EQ(store_->List("a/c/d/"), Keys{});
  EXPECT_EQ(store_->List("zz"), Keys{});
  EXPECT_EQ(store_->List("a//"), Keys{});
}

TEST_P(ObjectStoreTest, ListOfADeepPrefixSeesOnlyThatPrefix) {
  for (const char* key : {"jobs/abc/out/1", "jobs/abc/out/0", "jobs/abc/outx",
                          "jobs/abd/out/0", "jobs/abc/in/0"}) {
    store_->Put(key, "v");
  }
  EXPECT_EQ(store_->List("jobs/abc/out/"),
            (Keys{"jobs/abc/out/0", "jobs/abc/out/1"}));
  EXPECT_EQ(store_->List("jobs/abc/o"),
            (Keys{"jobs/abc/out/0", "jobs/abc/out/1", "jobs/abc/outx"}));
}

TEST_P(ObjectStoreTest, AKeyAndKeysUnderItCoexist) {
  store_->Put("a", "1");
  store_->Put("a/b", "2");
  store_->Put("a/b/c", "3");
  EXPECT_EQ(store_->Get("a"), "1");
  EXPECT_EQ(store_->Get("a/b"), "2");
  EXPECT_EQ(store_->Get("a/b/c"), "3");
  store_->Delete("a/b");
  EXPECT_EQ(store_->List(""), (Keys{"a", "a/b/c"}));
  store_->Delete("a");
  EXPECT_EQ(store_->Get("a/b/c"), "3");
}

TEST_P(ObjectStoreTest, DeleteRemovesTheObject) {
  store_->Put("x/y", "v");
  store_->Put("x/z", "w");
  store_->Delete("x/y");
  EXPECT_EQ(store_->Get("x/y"), std::nullopt);
  EXPECT_EQ(store_->Size("x/y"), std::nullopt);
  EXPECT_EQ(store_->List("x"), Keys{"x/z"});
}

TEST_P(ObjectStoreTest, DeleteOfAMissingKeyIsNotAnError) {
  store_->Delete("absent");
  store_->Delete("no/such/dir/key");
  store_->Put("a", "v");
  store_->Delete("a/b");
  EXPECT_EQ(store_->Get("a"), "v");
}

TEST_P(ObjectStoreTest, ADeletedKeyCanBePutAgain) {
  store_->Put("x/y/z", "1");
  store_->Delete("x/y/z");
  EXPECT_EQ(store_->List(""), Keys{});
  store_->Put("x/y/z", "2");
  EXPECT_EQ(store_->Get("x/y/z"), "2");
}

TEST_P(ObjectStoreTest, InvalidKeysAreRejected) {
  const std::string kBad[] = {"",   "/a",  "a//b", "a/../b",
                              "a/", "./a", "..",   std::string("a\0b", 3)};
  for (const std::string& key : kBad) {
    SCOPED_TRACE("key '" + key + "'");
    const ErrorCode kInvalid = ErrorCode::kInvalidArgument;
    const std::string kWhy = "invalid object key";
    EXPECT_TRUE(ThrowsError([&] { store_->Put(key, "v"); }, kInvalid, kWhy));
    EXPECT_TRUE(ThrowsError([&] { store_->Get(key); }, kInvalid, kWhy));
    EXPECT_TRUE(
        ThrowsError([&] { store_->GetRange(key, 0, 1); }, kInvalid, kWhy));
    EXPECT_TRUE(ThrowsError([&] { store_->Size(key); }, kInvalid, kWhy));
    EXPECT_TRUE(ThrowsError([&] { store_->Delete(key); }, kInvalid, kWhy));
  }
  EXPECT_EQ(store_->List(""), Keys{});
}

TEST_P(ObjectStoreTest, UnusualValidKeysAreOrdinaryKeys) {
  Keys keys = {".hidden",
               ".tmp",
               ".tmp/x",
               "...",
               "a b/c d",
               "x.dir",
               "x.dir/y",
               "x.obj",
               "x.obj/y",
               "x/y.obj",
               "\xc3\xbc/\xe2\x82\xac"};
  for (const std::string& key : keys) store_->Put(key, "value of " + key);
  for (const std::string& key : keys) {
    EXPECT_EQ(store_->Get(key), "value of " + key) << key;
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(store_->List(""), keys);
  EXPECT_EQ(store_->List("x.obj"), (Keys{"x.obj", "x.obj/y"}));
}

TEST_P(ObjectStoreTest, A8MiBObjectRoundTrips) {
  std::string big(8 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  store_->Put("big", big);
  EXPECT_EQ(store_->Size("big"), big.size());
  EXPECT_TRUE(store_->Get("big") == big);  // EXPECT_EQ would print 8 MiB
  EXPECT_TRUE(store_->GetRange("big", 5 << 20, 1000) ==
              big.substr(5 << 20, 1000));
}

TEST_P(ObjectStoreTest, MapReturnsWhatGetReturns) {
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  store_->Put("dir/big", big);
  store_->Put("empty", "");
  std::optional<SharedBytes> mapped = store_->Map("dir/big");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_TRUE(mapped->view() == big);
  EXPECT_EQ(store_->Map("empty")->view(), "");
  EXPECT_EQ(store_->Map("dir/absent"), std::nullopt);
  EXPECT_EQ(store_->Map("absent"), std::nullopt);
}

TEST_P(ObjectStoreTest, MappedBytesOutliveAReplacedOrDeletedObject) {
  store_->Put("k", "first value");
  store_->Put("gone", "still here");
  std::optional<SharedBytes> first = store_->Map("k");
  std::optional<SharedBytes> gone = store_->Map("gone");
  store_->Put("k", "second");
  store_->Delete("gone");
  SharedBytes copy = *first;  // copies share the bytes
  first.reset();
  EXPECT_EQ(copy.view(), "first value");
  EXPECT_EQ(gone->view(), "still here");
  EXPECT_EQ(store_->Map("k")->view(), "second");
  EXPECT_EQ(store_->Map("gone"), std::nullopt);
}

TEST_P(ObjectStoreTest, ConcurrentPutsAndGetsOfDistinctKeys) {
  constexpr int kThreads = 8, kKeys = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        std::string key = "t" + std::to_string(t) + "/k" + std::to_string(k);
        store_->Put(key, key + "!");
        EXPECT_EQ(store_->Get(key), key + "!");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store_->List("").size(), size_t{kThreads * kKeys});
}

TEST_P(ObjectStoreTest, ConcurrentPutsOfOneKeyAreNeverTorn) {
  constexpr int kThreads = 8, kRounds = 40;
  constexpr size_t kBase = 64 << 10;
  store_->Put("shared/value", WriterValue(0, kBase));
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        store_->Put("shared/value", WriterValue(t, kBase));
        std::optional<std::string> value = store_->Get("shared/value");
        if (!value || !IsWriterValue(*value, kThreads, kBase)) ++torn;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(store_->List(""), Keys{"shared/value"});
}

// Deletes may tidy up a prefix that a concurrent Put is writing under.
TEST_P(ObjectStoreTest, ConcurrentPutsAndDeletesUnderOnePrefix) {
  constexpr int kThreads = 4, kRounds = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = "p/q/t" + std::to_string(t);
      for (int round = 0; round < kRounds; ++round) {
        store_->Put(key, "v");
        EXPECT_EQ(store_->Get(key), "v");
        store_->Delete(key);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store_->List(""), Keys{});
}

TEST_P(ObjectStoreTest, AnotherStoreOnTheSameUriSharesObjects) {
  std::unique_ptr<ObjectStore> other = ObjectStore::Open(uri_);
  store_->Put("from/first", "1");
  other->Put("from/second", "2");
  EXPECT_EQ(other->Get("from/first"), "1");
  EXPECT_EQ(store_->Get("from/second"), "2");
}

TEST_P(ObjectStoreTest, UriNamesTheScheme) {
  EXPECT_EQ(SchemeOf(store_->Uri()), SchemeOf(uri_)) << store_->Uri();
}

INSTANTIATE_TEST_SUITE_P(AllStores, ObjectStoreTest,
                         testing::ValuesIn(StoreKinds()),
                         [](const testing::TestParamInfo<StoreKind>& info) {
                           return info.param.name;
                         });

TEST(OpenTest, UnknownSchemeIsInvalidArgument) {
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("nope://x"); },
                          ErrorCode::kInvalidArgument, "nope://x"));
}

TEST(OpenTest, MalformedFileUrisAreInvalidArgument) {
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("file:relative"); },
                          ErrorCode::kInvalidArgument, "file:relative"));
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("file://relative/dir"); },
                          ErrorCode::kInvalidArgument, "relative/dir"));
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("file://"); },
                          ErrorCode::kInvalidArgument, "file://"));
}

TEST(MemStoreTest, StoresWithTheSameNameShareObjects) {
  std::string uri = "mem://shared-" + UniqueSuffix();
  ObjectStore::Open(uri)->Put("k", "v");
  EXPECT_EQ(ObjectStore::Open(uri)->Get("k"), "v");
  EXPECT_EQ(ObjectStore::Open(uri + "-other")->Get("k"), std::nullopt);
  EXPECT_EQ(ObjectStore::Open(uri)->Uri(), uri);
}

TEST(MemStoreTest, AnEmptyNameIsInvalidArgument) {
  EXPECT_TRUE(ThrowsError([] { ObjectStore::Open("mem://"); },
                          ErrorCode::kInvalidArgument, "mem://"));
}

class FileStoreTest : public testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const std::string dir_ = MakeTempDir();
};

TEST_F(FileStoreTest, AMissingDirectoryIsNotFoundNamingIt) {
  std::string missing = dir_ + "/missing";
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open("file://" + missing); },
                          ErrorCode::kNotFound, missing));
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open("file://" + missing); },
                          ErrorCode::kNotFound, "create it first"));
}

TEST_F(FileStoreTest, AFileAsTheRootIsAnError) {
  std::string file = dir_ + "/plain-file";
  std::ofstream(file) << "not a directory";
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open("file://" + file); },
                          ErrorCode::kIOError, file));
}

TEST_F(FileStoreTest, AnUnwritableDirectoryIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  std::string locked = dir_ + "/locked";
  ASSERT_EQ(mkdir(locked.c_str(), 0555), 0);
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open("file://" + locked); },
                          ErrorCode::kPermissionDenied, locked));
}

TEST_F(FileStoreTest, ANewStoreOnTheDirectorySeesEarlierObjects) {
  ObjectStore::Open("file://" + dir_)->Put("jobs/1/out", "result");
  std::unique_ptr<ObjectStore> store =
      ObjectStore::Open("file://" + dir_ + "/");
  EXPECT_EQ(store->Get("jobs/1/out"), "result");
  EXPECT_EQ(store->Uri(), "file://" + dir_);
}

TEST_F(FileStoreTest, DeletingEveryObjectLeavesOnlyAnEmptyTempDir) {
  std::unique_ptr<ObjectStore> store = ObjectStore::Open("file://" + dir_);
  store->Put("a/b/c", "1");
  store->Put("a/d", "2");
  store->Delete("a/b/c");
  store->Delete("a/d");
  Keys entries;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir_)) {
    entries.push_back(entry.path().string());
  }
  EXPECT_EQ(entries, Keys{dir_ + "/.tmp"});
}

// Forks writers that Put one shared key and their own keys while this
// process reads the shared key: every read must be one writer's whole value.
TEST_F(FileStoreTest, ForkedWritersNeverTearObjects) {
  constexpr int kWriters = 4, kRounds = 30;
  constexpr size_t kBase = 256 << 10;
  const std::string uri = "file://" + dir_;
  std::unique_ptr<ObjectStore> store = ObjectStore::Open(uri);
  store->Put("shared", WriterValue(0, kBase));
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        std::unique_ptr<ObjectStore> mine = ObjectStore::Open(uri);
        for (int round = 0; round < kRounds; ++round) {
          mine->Put("shared", WriterValue(w, kBase));
          mine->Put("w" + std::to_string(w) + "/" + std::to_string(round),
                    WriterValue(w, kBase));
        }
      } catch (...) {
        _exit(1);
      }
      _exit(0);
    }
  }
  int torn = 0, reads = 0, running = kWriters;
  while (running > 0) {
    std::optional<std::string> value = store->Get("shared");
    if (!value || !IsWriterValue(*value, kWriters, kBase)) ++torn;
    ++reads;
    int status;
    while (running > 0 && waitpid(-1, &status, WNOHANG) > 0) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      --running;
    }
  }
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  EXPECT_EQ(store->List("w").size(), size_t{kWriters * kRounds});
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(store->Get("w" + std::to_string(w) + "/0"),
              WriterValue(w, kBase));
  }
}

}  // namespace
}  // namespace tern
