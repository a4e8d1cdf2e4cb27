// Tests specific to the s3:// store. Most run against a real S3-compatible
// server named by TERN_TEST_S3_URI and are skipped without it:
//
//   eval "$(scripts/s3-server-start.sh)"   # Swift + s3api on 127.0.0.1
//   build/tests/s3_store_test
//   scripts/s3-server-stop.sh "$TERN_S3_STATE_DIR" --wipe
//
// The rest need no server: URI parsing, and retries against a fake server on
// 127.0.0.1 that answers from a script.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/s3_client.h"
#include "storage/s3_config.h"
#include "storage/s3_transfer.h"
#include "storage/stores.h"
#include "support/throws_error.h"
#include "tern/errors.h"
#include "tern/object_store.h"
#include "util/mask.h"
#include "util/uri.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;
using Keys = std::vector<std::string>;

// An s3:// URI split into its parts, so tests can change one parameter.
struct S3Uri {
  std::string bucket;
  std::string path;  // "" or "/prefix"
  std::vector<std::pair<std::string, std::string>> params;

  static S3Uri Parse(const std::string& text) {
    S3Uri uri;
    size_t query = std::min(text.find('?'), text.size());
    std::string rest = text.substr(5, query - 5);  // after "s3://"
    size_t slash = std::min(rest.find('/'), rest.size());
    uri.bucket = rest.substr(0, slash);
    uri.path = rest.substr(slash);
    while (uri.path.ends_with("/")) uri.path.pop_back();
    for (size_t start = query + 1; start < text.size();) {
      size_t amp = std::min(text.find('&', start), text.size());
      std::string pair = text.substr(start, amp - start);
      size_t eq = std::min(pair.find('='), pair.size());
      uri.params.emplace_back(pair.substr(0, eq),
                              pair.substr(std::min(eq + 1, pair.size())));
      start = amp + 1;
    }
    return uri;
  }

  S3Uri& Set(const std::string& name, const std::string& value) {
    for (auto& [param, old] : params) {
      if (param == name) {
        old = value;
        return *this;
      }
    }
    params.emplace_back(name, value);
    return *this;
  }

  std::string Get(const std::string& name) const {
    for (const auto& [param, value] : params) {
      if (param == name) return value;
    }
    return "";
  }

  std::string Text() const {
    std::string text = "s3://" + bucket + path;
    char sep = '?';
    for (const auto& [name, value] : params) {
      text += sep + name + "=" + value;
      sep = '&';
    }
    return text;
  }
};

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

using testing_support::ThrowsError;

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Pattern(size_t size, int seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>((i * 131 + i / 4099 + seed * 7) & 0xFF);
  }
  return bytes;
}

// Tests against the real server: each gets a fresh key prefix, emptied after.
class S3StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string base = Env("TERN_TEST_S3_URI");
    if (base.empty()) {
      GTEST_SKIP() << "TERN_TEST_S3_URI is unset; run eval \"$(scripts/"
                      "s3-server-start.sh)\" to test against a local server";
    }
    uri_ = S3Uri::Parse(base);
    uri_.path += "/s3-test-" + UniqueSuffix();
  }

  void TearDown() override {
    if (store_ == nullptr) return;
    for (const std::string& key : store_->List("")) store_->Delete(key);
  }

  ObjectStore& Store() {
    if (store_ == nullptr) store_ = ObjectStore::Open(uri_.Text());
    return *store_;
  }

  // Runs f(i) for i in [0, count) on 8 threads.
  template <typename F>
  static void Parallel(int count, F f) {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i; (i = next++) < count;) f(i);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }

  S3Uri uri_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(S3StoreTest, WrongSecretIsPermissionDeniedNamingTheKeyIdOnly) {
  const std::string key_id = "tern-test-key-id", secret = "wrong-secret-Zq9";
  uri_.Set("access_key", key_id).Set("secret_key", secret);
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(uri_.Text()); },
                          ErrorCode::kPermissionDenied,
                          {"access denied", key_id}, secret));
  std::string real_id = Env("AWS_ACCESS_KEY_ID");
  if (real_id.empty()) return;
  uri_.Set("access_key", real_id);
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(uri_.Text()); },
                          ErrorCode::kPermissionDenied,
                          {"access denied", real_id}, secret));
}

TEST_F(S3StoreTest, UriMasksTheSecret) {
  std::string id = Env("AWS_ACCESS_KEY_ID"),
              secret = Env("AWS_SECRET_ACCESS_KEY");
  if (id.empty() || secret.empty()) GTEST_SKIP() << "credentials not in env";
  uri_.Set("access_key", id).Set("secret_key", secret);
  std::string shown = Store().Uri();
  EXPECT_NE(shown.find(std::string("secret_key=") + kMasked), std::string::npos)
      << shown;
  EXPECT_EQ(shown.find("secret_key=" + secret), std::string::npos) << shown;
  EXPECT_TRUE(shown.starts_with("s3://" + uri_.bucket + uri_.path)) << shown;
}

TEST_F(S3StoreTest, UnreachableEndpointFailsWithinTheTimeout) {
  std::string endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort());
  uri_.Set("endpoint", endpoint).Set("timeout", "2s");
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(uri_.Text()); },
                          ErrorCode::kUnavailable, {endpoint}));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

TEST_F(S3StoreTest, MissingBucketIsNotFoundNamingIt) {
  uri_.bucket = "tern-no-such-bucket-" + UniqueSuffix();
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(uri_.Text()); },
                          ErrorCode::kNotFound, {uri_.bucket}));
}

// Checks the object's ETag: a multipart upload of n parts ends in "-n", and
// that of one PUT (parts == 0) is an MD5, without a '-'.
void ExpectMultipartETag(const S3Uri& uri, const std::string& key, int parts) {
  S3Config config = ParseS3Config(Uri::Parse(uri.Text()));
  S3Client client(config);
  S3Response response =
      client.Send({.method = "HEAD", .key = config.prefix + key});
  std::string etag = response.Header("etag");
  if (parts == 0) {
    EXPECT_EQ(etag.find('-'), std::string::npos) << etag;
  } else {
    EXPECT_TRUE(etag.ends_with("-" + std::to_string(parts) + "\"")) << etag;
  }
}

TEST_F(S3StoreTest, A40MiBObjectRoundTripsInParallelParts) {
  uri_.Set("threads", "4");
  const std::string data = Pattern(40 << 20, 1);
  Store().Put("big/object", data);
  ExpectMultipartETag(uri_, "big/object", 3);  // 16 + 16 + 8 MiB
  EXPECT_EQ(Store().Size("big/object"), data.size());
  EXPECT_TRUE(Store().Get("big/object") == data);  // EXPECT_EQ prints 40 MiB
  uint64_t boundary = 16 << 20;
  EXPECT_TRUE(Store().GetRange("big/object", boundary - 10, 20) ==
              data.substr(boundary - 10, 20));
  EXPECT_TRUE(Store().GetRange("big/object", 10 << 20, 25 << 20) ==
              data.substr(10 << 20, 25 << 20));
  EXPECT_TRUE(Store().GetRange("big/object", 39 << 20, 5 << 20) ==
              data.substr(39 << 20));
}

TEST_F(S3StoreTest, SmallPartsAndThreadsAreConfigurable) {
  uri_.Set("part_size", "5MiB").Set("threads", "3");
  const std::string data = Pattern((23 << 20) + 7, 2);
  Store().Put("parts", data);
  ExpectMultipartETag(uri_, "parts", 5);
  EXPECT_TRUE(Store().Get("parts") == data);
  Store().Put("exactly-one-part", data.substr(0, 5 << 20));
  EXPECT_TRUE(Store().Get("exactly-one-part") == data.substr(0, 5 << 20));
}

// With one thread an object of any size (up to 5 GiB) is one PUT, so a plain
// object, and a Get is one GET.
TEST_F(S3StoreTest, OneThreadMovesAnObjectInOneRequest) {
  uri_.Set("part_size", "5MiB").Set("threads", "1");
  const std::string data = Pattern(12 << 20, 5);
  Store().Put("whole", data);
  ExpectMultipartETag(uri_, "whole", 0);
  EXPECT_TRUE(Store().Get("whole") == data);
  uint64_t boundary = 5 << 20;
  EXPECT_TRUE(Store().GetRange("whole", boundary - 10, 20) ==
              data.substr(boundary - 10, 20));
  EXPECT_TRUE(Store().GetRange("whole", 3 << 20, 8 << 20) ==
              data.substr(3 << 20, 8 << 20));
  EXPECT_TRUE(Store().GetRange("whole", (12 << 20) - 5, 100) ==
              data.substr((12 << 20) - 5));
  EXPECT_EQ(Store().GetRange("whole", 12 << 20, 10), "");
  EXPECT_EQ(Store().Get("missing"), std::nullopt);
}

// The checksum trailer follows the data in the last part, or makes a part of
// its own: each split round-trips.
TEST_F(S3StoreTest, PartsSplitDataAndTrailerAnywhere) {
  uri_.Set("part_size", "5MiB").Set("threads", "3");
  for (size_t size : {(5u << 20) - 10, 5u << 20, (5u << 20) + 3, 10u << 20}) {
    const std::string data = Pattern(size, 6);
    Store().Put("split", data);
    EXPECT_TRUE(Store().Get("split") == data) << size;
  }
}

// Readers of an object being replaced see one whole version, never a mix of
// chunks from two.
TEST_F(S3StoreTest, ParallelGetsNeverMixTwoVersions) {
  uri_.Set("part_size", "5MiB").Set("threads", "4");
  const std::string a = Pattern(12 << 20, 3), b = Pattern(12 << 20, 4);
  ObjectStore& store = Store();  // opened before the threads share it
  store.Put("changing", a);
  std::thread writer([&] {
    for (int round = 0; round < 6; ++round) {
      store.Put("changing", round % 2 ? a : b);
    }
  });
  int torn = 0;
  for (int round = 0; round < 6; ++round) {
    std::optional<std::string> value = store.Get("changing");
    if (!value || (*value != a && *value != b)) ++torn;
  }
  writer.join();
  EXPECT_EQ(torn, 0);
}

TEST_F(S3StoreTest, ListPaginatesOverMoreThanAThousandKeys) {
  uri_.Set("max_keys", "100");
  constexpr int kKeys = 1001;
  Keys keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("k/" + std::to_string(i));
  ObjectStore& store = Store();  // opened before the threads share it
  Parallel(kKeys, [&](int i) { store.Put(keys[i], "v"); });
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(store.List(""), keys);
  EXPECT_EQ(store.List("k/10").size(), 12u);  // 10, 100-109, 1000
  Parallel(kKeys, [&](int i) { store.Delete(keys[i]); });
  EXPECT_EQ(store.List(""), Keys{});
}

TEST_F(S3StoreTest, UnusualCharactersInKeysRoundTrip) {
  Keys keys = {"a b/c d",
               "plus+sign",
               "percent%20not-a-space",
               "q?a#b&c=d;e",
               "quotes'\"",
               "tilde~star*(paren)",
               "\xc3\xbc/\xe2\x82\xac",
               "\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e",
               "tab\there",
               "back\\slash",
               "colon:at@dollar$"};
  for (const std::string& key : keys) Store().Put(key, "value of " + key);
  for (const std::string& key : keys) {
    EXPECT_EQ(Store().Get(key), "value of " + key) << key;
    EXPECT_EQ(Store().Size(key), key.size() + 9) << key;
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(Store().List(""), keys);
  EXPECT_EQ(Store().List("a b/"), Keys{"a b/c d"});
  EXPECT_EQ(Store().List("plus+"), Keys{"plus+sign"});
  EXPECT_EQ(Store().List("\xc3\xbc"), Keys{"\xc3\xbc/\xe2\x82\xac"});
  Store().Delete("plus+sign");
  EXPECT_EQ(Store().Get("plus+sign"), std::nullopt);
}

TEST_F(S3StoreTest, ThePrefixIsPrependedAndStripped) {
  Store().Put("k", "v");
  S3Uri parent = uri_;
  std::string leaf = parent.path.substr(parent.path.rfind('/') + 1);
  parent.path.resize(parent.path.rfind('/'));
  std::unique_ptr<ObjectStore> outer = ObjectStore::Open(parent.Text());
  EXPECT_EQ(outer->Get(leaf + "/k"), "v");
  EXPECT_EQ(outer->List(leaf + "/"), Keys{leaf + "/k"});
}

TEST_F(S3StoreTest, VirtualHostStyleAddressingWorks) {
  std::string endpoint = uri_.Get("endpoint");
  if (!endpoint.starts_with("http://127.0.0.1:")) {
    GTEST_SKIP() << "needs a local endpoint whose *.localhost names resolve";
  }
  endpoint.replace(7, 9, "localhost");  // libcurl resolves *.localhost itself
  uri_.Set("endpoint", endpoint).Set("path_style", "false");
  Store().Put("vhost key", "via bucket.localhost");
  EXPECT_EQ(Store().Get("vhost key"), "via bucket.localhost");
  EXPECT_EQ(Store().List(""), Keys{"vhost key"});
}

// ---- No server needed ----

TEST(S3ConfigTest, MalformedUrisAreInvalidArgument) {
  const std::string kBad[] = {
      "s3://",
      "s3:///prefix",
      "s3://bad:bucket",
      "s3://b?endpoint=ftp://127.0.0.1:1",
      "s3://b?endpoint=http://127.0.0.1:1/path",
      "s3://b?part_size=1MiB",
      "s3://b?timeout=soon",
      "s3://b?threads=0",
      "s3://b?path_style=maybe",
      "s3://b?no_such_param=1",
      "s3://b/a//b",
      "s3://b?access_key=id-only",
      "s3://b?region=us:east",
  };
  for (const std::string& uri : kBad) {
    EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(uri); },
                            ErrorCode::kInvalidArgument, {"s3://"}))
        << uri;
  }
}

TEST(S3ConfigTest, ParametersAndDefaults) {
  S3Config config = ParseS3Config(Uri::Parse(
      "s3://bkt/a/b/?endpoint=http://127.0.0.1:9/&timeout=1500ms&part_size="
      "8MiB&threads=2&max_keys=10&access_key=id&secret_key=s3cr3t"));
  EXPECT_EQ(config.bucket, "bkt");
  EXPECT_EQ(config.prefix, "a/b/");
  EXPECT_EQ(config.endpoint, "http://127.0.0.1:9");
  EXPECT_TRUE(config.path_style);
  EXPECT_EQ(config.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config.part_size, 8u << 20);
  EXPECT_EQ(config.threads, 2);
  EXPECT_EQ(config.max_keys, 10);
  EXPECT_EQ(config.credentials.access_key_id, "id");
  EXPECT_EQ(config.masked_uri.find("s3cr3t"), std::string::npos);
  S3Config aws = ParseS3Config(
      Uri::Parse("s3://bkt?region=eu-west-1&access_key=id&secret_key=s"));
  EXPECT_EQ(aws.endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(aws.path_style);
  EXPECT_EQ(aws.prefix, "");
}

TEST(S3ConfigTest, CredentialsFileProfileIsRead) {
  char path[] = "/tmp/tern-s3-credentials-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text =
      "[default]\naws_access_key_id = default-id\n"
      "aws_secret_access_key = default-secret\n\n"
      "# a comment\n[other]\naws_access_key_id=other-id\n"
      "aws_secret_access_key=other-secret\naws_session_token = tok\n";
  ASSERT_EQ(write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  close(fd);
  // Tests run one at a time in this process, so changing the environment is
  // safe here; restore it for the tests that follow.
  std::string saved_id = Env("AWS_ACCESS_KEY_ID");
  std::string saved_secret = Env("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  S3Config config = ParseS3Config(Uri::Parse("s3://b"));
  EXPECT_EQ(config.credentials.access_key_id, "default-id");
  EXPECT_EQ(config.credentials.secret_access_key, "default-secret");
  setenv("AWS_PROFILE", "other", 1);
  config = ParseS3Config(Uri::Parse("s3://b"));
  EXPECT_EQ(config.credentials.access_key_id, "other-id");
  EXPECT_EQ(config.credentials.session_token, "tok");
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  if (!saved_id.empty()) setenv("AWS_ACCESS_KEY_ID", saved_id.c_str(), 1);
  if (!saved_secret.empty()) {
    setenv("AWS_SECRET_ACCESS_KEY", saved_secret.c_str(), 1);
  }
  unlink(path);
}

// A fake S3 server on 127.0.0.1 that answers each connection's first request
// with the next scripted response, then closes it.
class FakeServer {
 public:
  explicit FakeServer(std::vector<std::string> responses)
      : responses_(std::move(responses)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }

  std::string Endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  int requests() const { return requests_; }
  // The i-th request received: its head, and its body when it had one.
  std::string request(size_t i) const {
    std::lock_guard<std::mutex> lock(mu_);
    return i < received_.size() ? received_[i] : "";
  }

  static std::string Reply(int status, const std::string& body,
                           const std::string& headers = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + headers + "\r\n" + body;
  }

 private:
  void Serve() {
    for (size_t i = 0; i < responses_.size(); ++i) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::string request;
      char buffer[4096];
      bool continued = false;
      while (request.find("\r\n\r\n") == std::string::npos ||
             request.size() < RequestSize(request)) {
        if (!continued && request.find("\r\n\r\n") != std::string::npos &&
            request.find("Expect: 100-continue") != std::string::npos) {
          continued = true;
          Write(conn, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        ssize_t n = read(conn, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(request);
      }
      ++requests_;
      Write(conn, responses_[i]);
      close(conn);
    }
  }

  static void Write(int conn, const std::string& text) {
    ssize_t ignored = write(conn, text.data(), text.size());
    (void)ignored;
  }

  // The size of a request whose head is in text: the head, then
  // Content-Length bytes of body.
  static size_t RequestSize(const std::string& text) {
    size_t head = text.find("\r\n\r\n") + 4;
    size_t at = text.find("Content-Length: ");
    if (at > head) return head;
    return head + std::stoul(text.substr(at + 16));
  }

  std::vector<std::string> responses_;
  mutable std::mutex mu_;
  std::vector<std::string> received_;  // guarded by mu_
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

const char kEmptyListing[] =
    "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
const char kSlowDown[] =
    "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>";

std::string FakeUri(const FakeServer& server) {
  return "s3://b?endpoint=" + server.Endpoint() +
         "&timeout=5s&access_key=id&secret_key=s";
}

TEST(S3RetryTest, ServerErrorsAndSlowDownAreRetried) {
  FakeServer server(
      {FakeServer::Reply(503, kSlowDown), FakeServer::Reply(500, ""),
       FakeServer::Reply(200, kEmptyListing), FakeServer::Reply(429, kSlowDown),
       FakeServer::Reply(200, kEmptyListing)});
  std::unique_ptr<ObjectStore> store = ObjectStore::Open(FakeUri(server));
  EXPECT_EQ(store->List(""), Keys{});
  EXPECT_EQ(server.requests(), 5);
}

TEST(S3RetryTest, RetriesAreBoundedAndReportTheLastAnswer) {
  FakeServer server(
      std::vector<std::string>(8, FakeServer::Reply(503, kSlowDown)));
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(FakeUri(server)); },
                          ErrorCode::kUnavailable,
                          {server.Endpoint(), "SlowDown", "5 tries"}));
  EXPECT_EQ(server.requests(), 5);
}

TEST(S3RetryTest, ClientErrorsAreNotRetried) {
  FakeServer server({FakeServer::Reply(403,
                                       "<Error><Code>AccessDenied</Code>"
                                       "</Error>")});
  EXPECT_TRUE(ThrowsError([&] { ObjectStore::Open(FakeUri(server)); },
                          ErrorCode::kPermissionDenied,
                          {"access denied", "'id'", "AccessDenied"}));
  EXPECT_EQ(server.requests(), 1);
}

// A 206 answer to a ranged GET of [start, start + body.size()) of a
// total-byte object whose ETag is etag.
std::string Chunk(uint64_t start, const std::string& body, uint64_t total,
                  const std::string& etag) {
  return FakeServer::Reply(206, body,
                           "ETag: \"" + etag + "\"\r\nContent-Range: bytes " +
                               std::to_string(start) + "-" +
                               std::to_string(start + body.size() - 1) + "/" +
                               std::to_string(total) + "\r\n");
}

// The object is replaced between the first and second chunk of a parallel
// Get: the If-Match on the second fails (412), so the Get starts over and
// returns the new version whole. The server holds objects as tern stores
// them, checksum trailer included.
TEST(S3RetryTest, AGetStartsOverWhenTheObjectChangesMidway) {
  constexpr uint64_t kPart = 5 << 20;
  const std::string v1 = StoredForm(std::string(kPart + 1000, 'a'));
  const std::string v2 = StoredForm(std::string(kPart + 1000, 'b'));
  const uint64_t total = v2.size();
  FakeServer server({
      FakeServer::Reply(200, kEmptyListing),
      Chunk(0, v1.substr(0, kPart), total, "v1"),
      FakeServer::Reply(412, "<Error><Code>PreconditionFailed</Code></Error>"),
      Chunk(0, v2.substr(0, kPart), total, "v2"),
      Chunk(kPart, v2.substr(kPart), total, "v2"),
  });
  std::unique_ptr<ObjectStore> store =
      ObjectStore::Open(FakeUri(server) + "&part_size=5MiB&threads=4");
  EXPECT_TRUE(store->Get("k") == std::string(kPart + 1000, 'b'));
  EXPECT_EQ(server.requests(), 5);
}

// A client of server, with extra URI parameters.
std::unique_ptr<S3Client> FakeClient(const FakeServer& server,
                                     const std::string& params) {
  return std::make_unique<S3Client>(
      ParseS3Config(Uri::Parse(FakeUri(server) + params)));
}

TEST(S3RetryTest, OneThreadGetsAWholeObjectInOnePlainGet) {
  FakeServer server({FakeServer::Reply(200, "hello world"),
                     FakeServer::Reply(200, "hello world")});
  std::unique_ptr<S3Client> client = FakeClient(server, "&threads=1");
  EXPECT_EQ(ReadObject(*client, "k", 0, UINT64_MAX), "hello world");
  EXPECT_EQ(server.request(0).find("Range:"), std::string::npos)
      << server.request(0);
  // A server that ignores the Range header sends it all: keep the range.
  EXPECT_EQ(ReadObject(*client, "k", 6, 3), "wor");
  EXPECT_NE(server.request(1).find("Range: bytes=6-8\r\n"), std::string::npos)
      << server.request(1);
  EXPECT_EQ(server.requests(), 2);
}

// A PUT's data and tail go out as one body (larger than libcurl's buffer, so
// some reads take from both), unhashed to a loopback address.
TEST(S3RetryTest, APutSendsItsDataThenItsTail) {
  FakeServer server({FakeServer::Reply(200, "")});
  std::unique_ptr<S3Client> client = FakeClient(server, "&threads=1");
  const std::string data = Pattern(700 << 10, 7), tail = "the tail";
  PutObject(*client, "k", data, tail);
  std::string request = server.request(0);
  std::string head = request.substr(0, request.find("\r\n\r\n") + 4);
  EXPECT_TRUE(head.starts_with("PUT /b/k ")) << head;
  EXPECT_NE(head.find("Content-Length: " +
                      std::to_string(data.size() + tail.size()) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"),
            std::string::npos)
      << head;
  EXPECT_TRUE(request.substr(head.size()) == data + tail);
}

// A server that accepts connections but never answers must not hang tern.
TEST(S3RetryTest, ASilentServerTimesOut) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listen(fd, 16);  // the kernel completes handshakes; nobody reads
  std::string endpoint =
      "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(ThrowsError(
      [&] {
        ObjectStore::Open("s3://b?endpoint=" + endpoint +
                          "&timeout=1s&access_key=id&secret_key=s");
      },
      ErrorCode::kUnavailable, {endpoint}));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
  close(fd);
}

}  // namespace
}  // namespace tern
