// Tests of the redis:// Coordinator beyond the conformance suite: URI
// parsing, credentials, time outs, namespaces and blocking across
// connections. Tests that need a server use the one named by
// TERN_TEST_REDIS_URI (set by `eval "$(scripts/redis-server-start.sh)"`) and
// are skipped without it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "coord/redis_connection.h"
#include "tern/coordinator.h"
#include "tern/errors.h"
#include "util/uri.h"

namespace tern {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr Millis kLongLease = 60s;
constexpr Millis kLongWait = 20s;

// The parts of TERN_TEST_REDIS_URI, which has the form
// redis://user:password@host:port/db.
struct Server {
  std::string user;
  std::string password;
  std::string address;  // host:port/db
};

bool GetServer(Server* server) {
  const char* env = std::getenv("TERN_TEST_REDIS_URI");
  if (env == nullptr || *env == '\0') return false;
  std::string uri = env;
  size_t start = uri.find("://") + 3;
  size_t at = uri.rfind('@');
  if (at == std::string::npos) {
    server->address = uri.substr(start);
    return true;
  }
  std::string user_info = uri.substr(start, at - start);
  size_t colon = user_info.find(':');
  server->user = user_info.substr(0, colon);
  if (colon != std::string::npos)
    server->password = user_info.substr(colon + 1);
  server->address = uri.substr(at + 1);
  return true;
}

#define REQUIRE_SERVER(server)                                                 \
  if (!GetServer(&server)) {                                                   \
    GTEST_SKIP() << "TERN_TEST_REDIS_URI is not set; run "                     \
                    "eval \"$(scripts/redis-server-start.sh)\" to test redis"; \
  }

std::string UniquePrefix() {
  static std::atomic<int> counter{0};
  return "tern-redis-test-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + "/";
}

std::string UriFor(const Server& server, const std::string& prefix) {
  return "redis://" + server.user + ":" + server.password + "@" +
         server.address + "?prefix=" + prefix;
}

// A TCP port on 127.0.0.1 that listens but never answers, or with listen
// false, a port that refuses connections. Closed on destruction.
class Socket {
 public:
  explicit Socket(bool listen) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    if (fd_ < 0 || bind(fd_, raw, size) != 0 ||
        getsockname(fd_, raw, &size) != 0 ||
        (listen && ::listen(fd_, 16) != 0)) {
      throw std::runtime_error("cannot set up a local socket");
    }
    port_ = ntohs(address.sin_port);
  }
  ~Socket() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// Expects Open(uri) to throw Error(code); returns its message.
std::string OpenError(const std::string& uri, ErrorCode code) {
  try {
    Coordinator::Open(uri);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error from " << uri;
  return "";
}

// ---- The URI (no server needed).

TEST(RedisConfigTest, ParsesEveryPart) {
  const std::string text =
      "redis://us%40er:p%3Ass@example.com:7000/3?timeout=250ms&prefix=a/b";
  RedisConfig config = RedisConfig::FromUri(Uri::Parse(text), text);
  EXPECT_EQ(config.user, "us@er");
  EXPECT_EQ(config.password, "p:ss");
  EXPECT_EQ(config.host, "example.com");
  EXPECT_EQ(config.port, 7000);
  EXPECT_EQ(config.db, 3);
  EXPECT_EQ(config.prefix, "a/b");
  EXPECT_EQ(config.timeout, 250ms);
  EXPECT_EQ(config.masked_uri,
            "redis://us%40er:****@example.com:7000/3?timeout=250ms&prefix=a/b");
  EXPECT_EQ(config.Endpoint(), "example.com:7000");
}

TEST(RedisConfigTest, HasDefaults) {
  unsetenv("TERN_REDIS_PASSWORD");
  RedisConfig config =
      RedisConfig::FromUri(Uri::Parse("redis://[::1]"), "redis://[::1]");
  EXPECT_EQ(config.host, "::1");
  EXPECT_EQ(config.port, 6379);
  EXPECT_EQ(config.db, 0);
  EXPECT_EQ(config.user, "");
  EXPECT_EQ(config.password, "");
  EXPECT_EQ(config.prefix, "tern/");
  EXPECT_EQ(config.timeout, 5s);
  EXPECT_EQ(config.Endpoint(), "[::1]:6379");
}

TEST(RedisConfigTest, TakesThePasswordFromTheEnvironment) {
  setenv("TERN_REDIS_PASSWORD", "from-env", 1);
  const std::string text = "redis://someone@127.0.0.1:1/0";
  RedisConfig config = RedisConfig::FromUri(Uri::Parse(text), text);
  unsetenv("TERN_REDIS_PASSWORD");
  EXPECT_EQ(config.user, "someone");
  EXPECT_EQ(config.password, "from-env");
  EXPECT_EQ(config.masked_uri, text);
}

TEST(RedisConfigTest, MasksOnlyThePassword) {
  for (auto [given, masked] : std::vector<std::pair<std::string, std::string>>{
           {"redis://:pw@h:1", "redis://:****@h:1"},
           {"redis://u:p%40w@h:1/2?prefix=x@y",
            "redis://u:****@h:1/2?prefix=x@y"},
           {"redis://u@h:1?prefix=a:b@c", "redis://u@h:1?prefix=a:b@c"},
           {"redis://h:1/0", "redis://h:1/0"}}) {
    EXPECT_EQ(RedisConfig::FromUri(Uri::Parse(given), given).masked_uri,
              masked);
  }
}

TEST(RedisConfigTest, RejectsMalformedUris) {
  for (const char* uri :
       {"redis://", "redis://host:0", "redis://host:http", "redis://host/x",
        "redis://host?timeout=5", "redis://host?timeout=-1s",
        "redis://host?colour=blue", "redis://:secret@host:99999"}) {
    std::string message = OpenError(uri, ErrorCode::kInvalidArgument);
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
}

// ---- Unreachable servers (no server needed).

TEST(RedisCoordinatorTest, RefusedConnectionIsUnavailableNamingTheEndpoint) {
  int port = Socket(/*listen=*/false).port();  // closed again: refuses
  std::string endpoint = "127.0.0.1:" + std::to_string(port);
  Clock::time_point start = Clock::now();
  std::string message = OpenError("redis://" + endpoint + "/0?timeout=500ms",
                                  ErrorCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_NE(message.find(endpoint), std::string::npos) << message;
}

TEST(RedisCoordinatorTest, SilentServerTimesOutWithinTheTimeout) {
  Socket silent(/*listen=*/true);  // the kernel accepts; nobody answers
  std::string endpoint = "127.0.0.1:" + std::to_string(silent.port());
  Clock::time_point start = Clock::now();
  std::string message =
      OpenError("redis://tern:not-this@" + endpoint + "/0?timeout=300ms",
                ErrorCode::kUnavailable);
  Clock::duration took = Clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_NE(message.find(endpoint), std::string::npos) << message;
  EXPECT_EQ(message.find("not-this"), std::string::npos) << message;
}

// ---- Credentials.

TEST(RedisCoordinatorTest, WrongPasswordIsPermissionDeniedNamingTheUser) {
  Server server;
  REQUIRE_SERVER(server);
  if (server.user.empty()) GTEST_SKIP() << "the server has no ACL user";
  std::string message = OpenError(
      "redis://" + server.user + ":wrong-password-42@" + server.address,
      ErrorCode::kPermissionDenied);
  EXPECT_NE(message.find("'" + server.user + "'"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("wrong-password-42"), std::string::npos) << message;
  EXPECT_EQ(message.find(server.password), std::string::npos) << message;
}

TEST(RedisCoordinatorTest, NoPasswordIsPermissionDenied) {
  Server server;
  REQUIRE_SERVER(server);
  if (server.password.empty()) GTEST_SKIP() << "the server has no password";
  unsetenv("TERN_REDIS_PASSWORD");
  OpenError("redis://" + server.address, ErrorCode::kPermissionDenied);
}

TEST(RedisCoordinatorTest, PasswordFromTheEnvironmentLogsIn) {
  Server server;
  REQUIRE_SERVER(server);
  setenv("TERN_REDIS_PASSWORD", server.password.c_str(), 1);
  std::unique_ptr<Coordinator> coord =
      Coordinator::Open("redis://" + server.user + "@" + server.address +
                        "?prefix=" + UniquePrefix());
  unsetenv("TERN_REDIS_PASSWORD");
  coord->Put("k", "v");
  EXPECT_EQ(coord->Get("k"), "v");
  coord->DeletePrefix("");
}

TEST(RedisCoordinatorTest, UriMasksThePassword) {
  Server server;
  REQUIRE_SERVER(server);
  if (server.password.empty()) GTEST_SKIP() << "the server has no password";
  std::string prefix = UniquePrefix();
  std::unique_ptr<Coordinator> coord =
      Coordinator::Open(UriFor(server, prefix));
  EXPECT_EQ(coord->Uri(), "redis://" + server.user + ":****@" + server.address +
                              "?prefix=" + prefix);
}

// ---- Namespaces.

TEST(RedisCoordinatorTest, PrefixesOnOneServerAreIsolated) {
  Server server;
  REQUIRE_SERVER(server);
  std::unique_ptr<Coordinator> a =
      Coordinator::Open(UriFor(server, UniquePrefix()));
  std::unique_ptr<Coordinator> b =
      Coordinator::Open(UriFor(server, UniquePrefix()));
  for (Coordinator* coord : {a.get(), b.get()}) {
    coord->Put("job/1/spec", "spec");
    coord->Enqueue("job/1/tasks", {"task"});
    coord->Add("job/1/done", 1);
    coord->Append("job/1/events", {"event"});
  }
  a->Put("job/2/spec", "only in a");
  a->Enqueue("job/2/tasks", {"only in a"});
  EXPECT_EQ(b->Get("job/2/spec"), std::nullopt);
  EXPECT_EQ(b->QueueLength("job/2/tasks"), 0);
  EXPECT_TRUE(b->Lease("job/2/tasks", 10, kLongLease, 0ms).empty());
  EXPECT_EQ(b->ListKeys("job/"), std::vector<std::string>{"job/1/spec"});

  b->DeletePrefix("");
  EXPECT_TRUE(b->ListKeys("").empty());
  EXPECT_EQ(b->QueueLength("job/1/tasks"), 0);
  EXPECT_EQ(a->ListKeys(""),
            (std::vector<std::string>{"job/1/spec", "job/2/spec"}));
  EXPECT_EQ(a->QueueLength("job/1/tasks"), 1);
  EXPECT_EQ(a->Add("job/1/done", 0), 1);
  EXPECT_EQ(a->Read("job/1/events", 0, 10, 0ms).size(), 1u);
  a->DeletePrefix("");
  EXPECT_TRUE(a->ListKeys("").empty());
}

TEST(RedisCoordinatorTest, GlobCharactersInNamesAreLiteral) {
  Server server;
  REQUIRE_SERVER(server);
  std::unique_ptr<Coordinator> coord = Coordinator::Open(
      UriFor(server, "tern-redis-test-[*?]-" + UniquePrefix()));
  for (const char* key : {"a*", "a?b", "a[b]", "ab", "a\\b", "a"}) {
    coord->Put(key, "v");
  }
  EXPECT_EQ(coord->ListKeys("a*"), std::vector<std::string>{"a*"});
  EXPECT_EQ(coord->ListKeys("a?"), std::vector<std::string>{"a?b"});
  EXPECT_EQ(coord->ListKeys("a\\"), std::vector<std::string>{"a\\b"});
  coord->DeletePrefix("a[");
  EXPECT_EQ(coord->ListKeys(""),
            (std::vector<std::string>{"a", "a*", "a?b", "a\\b", "ab"}));
  coord->DeletePrefix("");
  EXPECT_TRUE(coord->ListKeys("").empty());
}

TEST(RedisCoordinatorTest, DeletePrefixDeletesRecordsInBatches) {
  Server server;
  REQUIRE_SERVER(server);
  std::unique_ptr<Coordinator> coord =
      Coordinator::Open(UriFor(server, UniquePrefix()));
  constexpr int kRecords = 1300;  // more than one batch
  std::vector<Commit> commits;
  for (int i = 0; i < kRecords; ++i) {
    commits.push_back({"job/" + std::to_string(i), "v", "", "", ""});
  }
  coord->CommitResults(commits);
  coord->Put("jobs", "kept");
  coord->DeletePrefix("job/");
  EXPECT_EQ(coord->ListKeys(""), std::vector<std::string>{"jobs"});
  EXPECT_EQ(coord->Get("job/0"), std::nullopt);
  EXPECT_EQ(coord->Get("job/1299"), std::nullopt);
  EXPECT_TRUE(coord->PutIfAbsent("job/7", "again"));
  EXPECT_EQ(coord->ListKeys("job/"), std::vector<std::string>{"job/7"});
  coord->DeletePrefix("");
}

TEST(RedisCoordinatorTest, IdsAreNotReusedAfterDeletePrefix) {
  Server server;
  REQUIRE_SERVER(server);
  std::unique_ptr<Coordinator> coord =
      Coordinator::Open(UriFor(server, UniquePrefix()));
  std::string first = coord->Enqueue("q", {"a"})[0];
  coord->DeletePrefix("");
  EXPECT_NE(coord->Enqueue("q", {"b"})[0], first);
}

// ---- Blocking across connections.

TEST(RedisCoordinatorTest, BlockedLeaseIsWokenByEnqueueFromAnotherConnection) {
  Server server;
  REQUIRE_SERVER(server);
  std::string uri = UriFor(server, UniquePrefix());
  std::unique_ptr<Coordinator> waiter = Coordinator::Open(uri);
  std::unique_ptr<Coordinator> producer = Coordinator::Open(uri);
  Clock::time_point enqueued;
  std::thread thread([&] {
    std::this_thread::sleep_for(300ms);
    enqueued = Clock::now();
    producer->Enqueue("q", {"wake up"});
  });
  std::vector<LeasedMessage> got = waiter->Lease("q", 4, kLongLease, kLongWait);
  Clock::time_point woken = Clock::now();
  thread.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "wake up");
  // Woken by the enqueue, not by a periodic re-check.
  EXPECT_LT(woken - enqueued, 500ms);
  waiter->DeletePrefix("");
}

TEST(RedisCoordinatorTest, BlockedReadIsWokenByAppendFromAnotherConnection) {
  Server server;
  REQUIRE_SERVER(server);
  std::string uri = UriFor(server, UniquePrefix());
  std::unique_ptr<Coordinator> reader = Coordinator::Open(uri);
  std::unique_ptr<Coordinator> writer = Coordinator::Open(uri);
  Clock::time_point appended;
  std::thread thread([&] {
    std::this_thread::sleep_for(300ms);
    appended = Clock::now();
    writer->Append("s", {"news"});
  });
  std::vector<Event> events = reader->Read("s", 0, 10, kLongWait);
  Clock::time_point woken = Clock::now();
  thread.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "news");
  EXPECT_LT(woken - appended, 500ms);
  reader->DeletePrefix("");
}

TEST(RedisCoordinatorTest, BlockedCallsDoNotHoldUpOthersOnTheSameCoordinator) {
  Server server;
  REQUIRE_SERVER(server);
  std::unique_ptr<Coordinator> coord =
      Coordinator::Open(UriFor(server, UniquePrefix()));
  std::thread lease([&] { coord->Lease("idle", 1, kLongLease, 1500ms); });
  std::thread read([&] { coord->Read("idle", 0, 1, 1500ms); });
  std::this_thread::sleep_for(200ms);  // both are blocked now
  Clock::time_point start = Clock::now();
  for (int i = 0; i < 10; ++i) coord->Add("c", 1);
  coord->Enqueue("q", {"x"});
  EXPECT_EQ(coord->Lease("q", 1, kLongLease, 0ms).size(), 1u);
  EXPECT_LT(Clock::now() - start, 500ms);
  lease.join();
  read.join();
  EXPECT_EQ(coord->Add("c", 0), 10);
  coord->DeletePrefix("");
}

// ---- The server's side.

TEST(RedisCoordinatorTest, CarriesOnAfterTheServerForgetsItsScripts) {
  Server server;
  REQUIRE_SERVER(server);
  std::string uri = UriFor(server, UniquePrefix());
  std::unique_ptr<Coordinator> coord = Coordinator::Open(uri);
  std::string id = coord->Enqueue("q", {"a"})[0];
  RedisConfig config = RedisConfig::FromUri(Uri::Parse(uri), uri);
  RedisConnection(config).Command({"SCRIPT", "FLUSH"});  // as a restart does
  std::vector<LeasedMessage> got = coord->Lease("q", 1, kLongLease, 0ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_EQ(coord->CommitResults({{"t", "v", "s", "q", id}}),
            std::vector<bool>{true});
  EXPECT_EQ(coord->QueueLength("q"), 0);
  coord->DeletePrefix("");
}

// Runs body in a child process with a coordinator of its own; returns its
// pid. The child exits 0 if body returned true.
pid_t Spawn(const std::string& uri, std::function<bool(Coordinator*)> body) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int status = 1;
  try {
    status = body(Coordinator::Open(uri).get()) ? 0 : 1;
  } catch (...) {
    status = 2;
  }
  _exit(status);
}

int Wait(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RedisCoordinatorTest, FourProcessesLeaseDisjointMessages) {
  Server server;
  REQUIRE_SERVER(server);
  constexpr int kMessages = 2000, kWorkers = 4;
  std::string uri = UriFor(server, UniquePrefix());
  std::unique_ptr<Coordinator> coord = Coordinator::Open(uri);
  std::vector<std::string> bodies;
  for (int i = 0; i < kMessages; ++i) bodies.push_back(std::to_string(i));
  coord->Enqueue("q", bodies);
  // A message leased twice would commit twice, and the second commit lose.
  std::vector<pid_t> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(Spawn(uri, [w](Coordinator* c) {
      for (;;) {
        std::vector<LeasedMessage> got = c->Lease("q", 16, kLongLease, 0ms);
        if (got.empty()) return true;
        std::vector<Commit> commits;
        for (const LeasedMessage& m : got) {
          commits.push_back(
              {"got/" + m.body, std::to_string(w), "done", "q", m.id});
        }
        for (bool won : c->CommitResults(commits)) {
          if (!won) return false;
        }
      }
    }));
    ASSERT_GT(workers.back(), 0);
  }
  for (pid_t worker : workers) EXPECT_EQ(Wait(worker), 0);
  EXPECT_EQ(coord->ListKeys("got/").size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(coord->QueueLength("q"), 0);
  std::vector<Event> events = coord->Read("done", 0, kMessages + 1, 0ms);
  ASSERT_EQ(events.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(events.back().seq, static_cast<uint64_t>(kMessages));
  coord->DeletePrefix("");
}

}  // namespace
}  // namespace tern
