// Conformance tests for every Coordinator implementation. Each TEST_P runs
// against every backend in Backends(); a new implementation is one more entry
// there. The SqliteCoordinatorTest tests at the end share one database file
// between several processes.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tern/coordinator.h"
#include "tern/errors.h"

namespace tern {
namespace {

using namespace std::chrono_literals;

constexpr Millis kLongLease = 60s;  // outlives any test
constexpr Millis kNoWait = 0ms;
constexpr Millis kLongWait = 20s;  // a blocked call returns well before this

// A backend under test: its name, and a function that returns the URI of a
// fresh, empty coordinator given a scratch directory (removed after the
// test), or "" to skip the backend.
struct Backend {
  std::string name;
  std::function<std::string(const std::string& dir)> fresh_uri;
};

// Names the backend in test listings, rather than dumping its bytes.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

std::string UniqueName() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// A shared server needs a fresh namespace per test; this assumes the redis://
// coordinator accepts a `prefix` parameter for the names it creates.
std::string RedisUri() {
  const char* base = std::getenv("TERN_TEST_REDIS_URI");
  if (base == nullptr || *base == '\0') return "";
  std::string uri = base;
  uri += uri.find('?') == std::string::npos ? "?" : "&";
  return uri + "prefix=tern-test-" + UniqueName() + "/";
}

std::vector<Backend> Backends() {
  return {
      {"sqlite",
       [](const std::string& dir) { return "sqlite://" + dir + "/coord.db"; }},
      {"mem",
       [](const std::string&) { return "mem://conformance-" + UniqueName(); }},
      {"redis", [](const std::string&) { return RedisUri(); }},
  };
}

std::string MakeTempDir() {
  char pattern[] = "/tmp/tern-coord-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::vector<std::string> Bodies(const std::vector<LeasedMessage>& messages) {
  std::vector<std::string> bodies;
  for (const LeasedMessage& m : messages) bodies.push_back(m.body);
  return bodies;
}

std::vector<std::string> Data(const std::vector<Event>& events) {
  std::vector<std::string> data;
  for (const Event& e : events) data.push_back(e.data);
  return data;
}

class CoordinatorTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    uri_ = GetParam().fresh_uri(dir_);
    if (uri_.empty()) GTEST_SKIP() << GetParam().name << " is not configured";
    coord_ = Coordinator::Open(uri_);
  }
  void TearDown() override {
    coord_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Another coordinator on the same state, as another worker would open.
  std::unique_ptr<Coordinator> OpenAnother() { return Coordinator::Open(uri_); }

  std::string dir_;
  std::string uri_;
  std::unique_ptr<Coordinator> coord_;
};

// ---- Queues.

TEST_P(CoordinatorTest, EnqueueReturnsDistinctIdsAndLeaseGivesOldestFirst) {
  std::vector<std::string> ids = coord_->Enqueue("q", {"a", "b", "c"});
  std::vector<std::string> more = coord_->Enqueue("q", {"d"});
  ASSERT_EQ(ids.size(), 3u);
  ASSERT_EQ(more.size(), 1u);
  ids.push_back(more[0]);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 4u);

  std::vector<LeasedMessage> got = coord_->Lease("q", 10, kLongLease, kNoWait);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(Bodies(got), (std::vector<std::string>{"a", "b", "c", "d"}));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, ids[i]);
    EXPECT_EQ(got[i].delivery, 1);
  }
}

TEST_P(CoordinatorTest, EnqueueOfNothingReturnsNoIds) {
  EXPECT_TRUE(coord_->Enqueue("q", {}).empty());
  EXPECT_EQ(coord_->QueueLength("q"), 0);
}

TEST_P(CoordinatorTest, IdsAreNeverReused) {
  std::string first = coord_->Enqueue("q", {"a"})[0];
  coord_->Ack("q", {first});
  EXPECT_NE(coord_->Enqueue("q", {"b"})[0], first);
}

TEST_P(CoordinatorTest, LeaseHidesLeasedMessages) {
  coord_->Enqueue("q", {"a", "b"});
  EXPECT_EQ(Bodies(coord_->Lease("q", 1, kLongLease, kNoWait)),
            std::vector<std::string>{"a"});
  EXPECT_EQ(Bodies(coord_->Lease("q", 10, kLongLease, kNoWait)),
            std::vector<std::string>{"b"});
  EXPECT_TRUE(coord_->Lease("q", 10, kLongLease, kNoWait).empty());
}

TEST_P(CoordinatorTest, LeaseReturnsAtMostMax) {
  coord_->Enqueue("q", std::vector<std::string>(10, "x"));
  EXPECT_EQ(coord_->Lease("q", 3, kLongLease, kNoWait).size(), 3u);
  EXPECT_EQ(coord_->Lease("q", 100, kLongLease, kNoWait).size(), 7u);
}

TEST_P(CoordinatorTest, ExpiredLeaseRedeliversWithNextDelivery) {
  std::string id = coord_->Enqueue("q", {"x"})[0];
  ASSERT_EQ(coord_->Lease("q", 1, 30ms, kNoWait).size(), 1u);
  EXPECT_TRUE(coord_->Lease("q", 1, kLongLease, kNoWait).empty());
  std::this_thread::sleep_for(80ms);
  std::vector<LeasedMessage> again = coord_->Lease("q", 1, 30ms, kNoWait);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].body, "x");
  EXPECT_EQ(again[0].delivery, 2);
  std::this_thread::sleep_for(80ms);
  again = coord_->Lease("q", 1, kLongLease, kNoWait);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery, 3);
}

TEST_P(CoordinatorTest, RenewKeepsMessageHidden) {
  coord_->Enqueue("q", {"x"});
  std::vector<LeasedMessage> got = coord_->Lease("q", 1, 300ms, kNoWait);
  ASSERT_EQ(got.size(), 1u);
  // Three renewals carry the lease well past its first 300 ms.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(150ms);
    EXPECT_TRUE(coord_->Renew("q", got[0], 300ms));
    EXPECT_TRUE(coord_->Lease("q", 1, kLongLease, kNoWait).empty());
  }
}

TEST_P(CoordinatorTest, RenewFailsOnceLeaseIsLost) {
  coord_->Enqueue("q", {"x"});
  std::vector<LeasedMessage> first = coord_->Lease("q", 1, 30ms, kNoWait);
  ASSERT_EQ(first.size(), 1u);
  std::this_thread::sleep_for(80ms);
  std::vector<LeasedMessage> second =
      coord_->Lease("q", 1, kLongLease, kNoWait);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(coord_->Renew("q", first[0], kLongLease));
  EXPECT_TRUE(coord_->Renew("q", second[0], kLongLease));
  coord_->Ack("q", {second[0].id});
  EXPECT_FALSE(coord_->Renew("q", second[0], kLongLease));
}

TEST_P(CoordinatorTest, AckRemovesMessagesAndIgnoresUnknownIds) {
  std::vector<std::string> ids = coord_->Enqueue("q", {"a", "b", "c"});
  ASSERT_EQ(coord_->Lease("q", 3, 30ms, kNoWait).size(), 3u);
  coord_->Ack("q", {ids[0], "no-such-id", "999999999", ""});
  coord_->Ack("other", {ids[1]});  // ids belong to their queue
  EXPECT_EQ(coord_->QueueLength("q"), 2);
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(Bodies(coord_->Lease("q", 10, kLongLease, kNoWait)),
            (std::vector<std::string>{"b", "c"}));
}

TEST_P(CoordinatorTest, QueueLengthCountsLeasedAndVisibleMessages) {
  EXPECT_EQ(coord_->QueueLength("q"), 0);
  coord_->Enqueue("q", {"a", "b", "c", "d", "e"});
  EXPECT_EQ(coord_->QueueLength("q"), 5);
  std::vector<LeasedMessage> got = coord_->Lease("q", 2, kLongLease, kNoWait);
  EXPECT_EQ(coord_->QueueLength("q"), 5);
  coord_->Ack("q", {got[0].id, got[1].id});
  EXPECT_EQ(coord_->QueueLength("q"), 3);
}

TEST_P(CoordinatorTest, LeaseBlocksUntilAnotherThreadEnqueues) {
  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    coord_->Enqueue("q", {"late"});
  });
  std::vector<LeasedMessage> got = coord_->Lease("q", 5, kLongLease, kLongWait);
  producer.join();
  EXPECT_EQ(Bodies(got), std::vector<std::string>{"late"});
}

TEST_P(CoordinatorTest, LeaseReturnsEmptyWhenNothingArrives) {
  EXPECT_TRUE(coord_->Lease("q", 1, kLongLease, 50ms).empty());
  coord_->Enqueue("q", {"taken"});
  ASSERT_EQ(coord_->Lease("q", 1, kLongLease, kNoWait).size(), 1u);
  EXPECT_TRUE(coord_->Lease("q", 1, kLongLease, 50ms).empty());
}

TEST_P(CoordinatorTest, BlockedLeaseGetsMessageWhoseLeaseExpires) {
  coord_->Enqueue("q", {"x"});
  ASSERT_EQ(coord_->Lease("q", 1, 100ms, kNoWait).size(), 1u);
  std::vector<LeasedMessage> got = coord_->Lease("q", 1, kLongLease, kLongWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "x");
  EXPECT_EQ(got[0].delivery, 2);
}

TEST_P(CoordinatorTest, QueuesAreIndependent) {
  coord_->Enqueue("q1", {"a"});
  coord_->Enqueue("q2", {"b"});
  EXPECT_EQ(Bodies(coord_->Lease("q1", 10, kLongLease, kNoWait)),
            std::vector<std::string>{"a"});
  EXPECT_EQ(coord_->QueueLength("q2"), 1);
  EXPECT_EQ(Bodies(coord_->Lease("q2", 10, kLongLease, kNoWait)),
            std::vector<std::string>{"b"});
}

// ---- Records.

TEST_P(CoordinatorTest, PutOverwritesAndGetReturnsValue) {
  EXPECT_EQ(coord_->Get("k"), std::nullopt);
  coord_->Put("k", "v1");
  EXPECT_EQ(coord_->Get("k"), "v1");
  coord_->Put("k", "v2");
  EXPECT_EQ(coord_->Get("k"), "v2");
}

TEST_P(CoordinatorTest, PutIfAbsentStoresOnlyTheFirst) {
  EXPECT_TRUE(coord_->PutIfAbsent("k", "first"));
  EXPECT_FALSE(coord_->PutIfAbsent("k", "second"));
  EXPECT_EQ(coord_->Get("k"), "first");
}

TEST_P(CoordinatorTest, ListKeysReturnsSortedKeysWithPrefix) {
  for (const char* key : {"job/2", "job/10", "jobs", "job/1", "other", "job"}) {
    coord_->Put(key, "v");
  }
  EXPECT_EQ(coord_->ListKeys("job/"),
            (std::vector<std::string>{"job/1", "job/10", "job/2"}));
  EXPECT_EQ(
      coord_->ListKeys("job"),
      (std::vector<std::string>{"job", "job/1", "job/10", "job/2", "jobs"}));
  EXPECT_TRUE(coord_->ListKeys("nothing").empty());
  EXPECT_EQ(coord_->ListKeys("").size(), 6u);
}

TEST_P(CoordinatorTest, DeletePrefixRemovesEveryKindOfNameWithPrefix) {
  for (const char* job : {"job1/", "job2/", "job10/"}) {
    std::string p = job;
    coord_->Put(p + "record", "v");
    coord_->Add(p + "counter", 5);
    coord_->Append(p + "stream", {"e"});
    coord_->Enqueue(p + "queue", {"m"});
  }
  coord_->DeletePrefix("job1/");

  EXPECT_EQ(coord_->Get("job1/record"), std::nullopt);
  EXPECT_EQ(coord_->ListKeys("job"),
            (std::vector<std::string>{"job10/record", "job2/record"}));
  EXPECT_EQ(coord_->Add("job1/counter", 0), 0);
  EXPECT_TRUE(coord_->Read("job1/stream", 0, 10, kNoWait).empty());
  EXPECT_EQ(coord_->QueueLength("job1/queue"), 0);
  for (const char* job : {"job2/", "job10/"}) {
    std::string p = job;
    EXPECT_EQ(coord_->Add(p + "counter", 0), 5);
    EXPECT_EQ(coord_->Read(p + "stream", 0, 10, kNoWait).size(), 1u);
    EXPECT_EQ(coord_->QueueLength(p + "queue"), 1);
  }
  // A deleted stream starts again from seq 1.
  EXPECT_EQ(coord_->Append("job1/stream", {"again"}), 1u);
}

// ---- Counters.

TEST_P(CoordinatorTest, AddReturnsTheNewValue) {
  EXPECT_EQ(coord_->Add("c", 0), 0);
  EXPECT_EQ(coord_->Add("c", 5), 5);
  EXPECT_EQ(coord_->Add("c", -7), -2);
  EXPECT_EQ(coord_->Add("c", 0), -2);
  EXPECT_EQ(coord_->Add("other", 0), 0);
}

TEST_P(CoordinatorTest, AddIsAtomicAcrossThreads) {
  constexpr int kThreads = 8, kAdds = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half share this coordinator, half have their own.
      std::unique_ptr<Coordinator> own = t % 2 ? OpenAnother() : nullptr;
      Coordinator* coord = own ? own.get() : coord_.get();
      for (int i = 0; i < kAdds; ++i) coord->Add("c", 1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(coord_->Add("c", 0), kThreads * kAdds);
}

// ---- Exactly-once counter increments.

std::vector<int64_t> Values(const std::vector<OnceAddResult>& results) {
  std::vector<int64_t> values;
  for (const OnceAddResult& r : results) values.push_back(r.value);
  return values;
}

std::vector<bool> Added(const std::vector<OnceAddResult>& results) {
  std::vector<bool> added;
  for (const OnceAddResult& r : results) added.push_back(r.added);
  return added;
}

TEST_P(CoordinatorTest, AddOnceReplayDoesNotDoubleCount) {
  std::vector<OnceAddResult> first = coord_->AddOnce({{"c", "edge-1", 5}});
  std::vector<OnceAddResult> replay = coord_->AddOnce({{"c", "edge-1", 5}});
  EXPECT_EQ(Values(first), (std::vector<int64_t>{5}));
  EXPECT_EQ(Added(first), (std::vector<bool>{true}));
  EXPECT_EQ(Values(replay), (std::vector<int64_t>{5}));
  EXPECT_EQ(Added(replay), (std::vector<bool>{false}));
  // A replay keeps the first delta; a new token counts.
  EXPECT_EQ(coord_->AddOnce({{"c", "edge-1", 100}})[0].value, 5);
  EXPECT_EQ(coord_->AddOnce({{"c", "edge-2", 3}})[0].value, 8);
  // The counter is Add()'s counter, and tokens are per counter.
  EXPECT_EQ(coord_->Add("c", 0), 8);
  EXPECT_EQ(coord_->Add("c", 2), 10);
  EXPECT_EQ(coord_->AddOnce({{"c", "edge-2", 3}})[0].value, 10);
  EXPECT_EQ(Added(coord_->AddOnce({{"other", "edge-1"}})),
            (std::vector<bool>{true}));
  EXPECT_EQ(coord_->Add("other", 0), 1);
  // Tokens are bytes, and one coordinator sees another's tokens.
  std::string binary("t\0\xff", 3);
  EXPECT_TRUE(coord_->AddOnce({{"c", binary}})[0].added);
  EXPECT_FALSE(OpenAnother()->AddOnce({{"c", binary}})[0].added);
  EXPECT_TRUE(coord_->AddOnce({{"c", "t"}})[0].added);
}

TEST_P(CoordinatorTest, AddOnceAppliesABatchInOrder) {
  EXPECT_TRUE(coord_->AddOnce({}).empty());
  std::vector<OnceAddResult> results = coord_->AddOnce(
      {{"a", "t", 1}, {"a", "t", 1}, {"b", "t", 2}, {"a", "u", -4}});
  EXPECT_EQ(Values(results), (std::vector<int64_t>{1, 1, 2, -3}));
  EXPECT_EQ(Added(results), (std::vector<bool>{true, false, true, true}));
}

// Batches of distinct tokens from many threads: each batch's values are
// consecutive (no other add came between its adds) and the total is exact.
TEST_P(CoordinatorTest, AddOnceBatchIsAtomic) {
  constexpr int kThreads = 6, kBatches = 50, kBatch = 10;
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Coordinator> coord = OpenAnother();
      for (int b = 0; b < kBatches; ++b) {
        std::vector<OnceAdd> adds;
        for (int i = 0; i < kBatch; ++i) {
          adds.push_back({"c", std::to_string(t) + "/" + std::to_string(b) +
                                   "/" + std::to_string(i)});
        }
        std::vector<OnceAddResult> results = coord->AddOnce(adds);
        for (int i = 1; i < kBatch; ++i) {
          torn += results[i].value != results[0].value + i;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(coord_->Add("c", 0), kThreads * kBatches * kBatch);
}

// Every thread adds the same shared tokens and some of its own: each token
// counts once, and exactly one thread sees each shared token as added.
TEST_P(CoordinatorTest, AddOnceFromThreadsCountsEachTokenOnce) {
  constexpr int kThreads = 6, kShared = 200, kOwn = 50;
  std::atomic<int> shared_added{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Coordinator> own = t % 2 ? OpenAnother() : nullptr;
      Coordinator* coord = own ? own.get() : coord_.get();
      for (int i = 0; i < kShared; ++i) {
        shared_added +=
            coord->AddOnce({{"c", "s" + std::to_string(i)}})[0].added;
        if (i < kOwn) {
          coord->AddOnce({{"c", std::to_string(t) + "/" + std::to_string(i)}});
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(shared_added, kShared);
  EXPECT_EQ(coord_->Add("c", 0), kShared + kThreads * kOwn);
}

// The same from processes, for the backends that processes share.
TEST_P(CoordinatorTest, AddOnceFromProcessesCountsEachTokenOnce) {
  if (uri_.starts_with("mem://")) GTEST_SKIP() << "mem:// is per process";
  constexpr int kProcesses = 3, kShared = 200, kOwn = 50;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      int status = 2;
      try {
        std::unique_ptr<Coordinator> coord = Coordinator::Open(uri_);
        int added = 0;
        for (int i = 0; i < kShared; ++i) {
          added += coord
                       ->AddOnce({{"c", "s" + std::to_string(i)},
                                  {"c", std::to_string(p) + "/" +
                                            std::to_string(i % kOwn)}})[0]
                       .added;
        }
        coord->Add("shared-added", added);
        status = 0;
      } catch (...) {
      }
      _exit(status);
    }
    ASSERT_GT(pid, 0);
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(coord_->Add("shared-added", 0), kShared);
  EXPECT_EQ(coord_->Add("c", 0), kShared + kProcesses * kOwn);
}

TEST_P(CoordinatorTest, DeletePrefixClearsAddOnceTokens) {
  coord_->AddOnce({{"job1/c", "t"}, {"job10/c", "t"}});
  coord_->DeletePrefix("job1/");
  EXPECT_EQ(coord_->Add("job1/c", 0), 0);
  std::vector<OnceAddResult> again =
      coord_->AddOnce({{"job1/c", "t"}, {"job10/c", "t"}});
  EXPECT_EQ(Values(again), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(Added(again), (std::vector<bool>{true, false}));
}

// ---- Event streams.

TEST_P(CoordinatorTest, AppendNumbersEventsFromOne) {
  EXPECT_EQ(coord_->Append("s", {"a", "b"}), 2u);
  EXPECT_EQ(coord_->Append("s", {"c"}), 3u);
  EXPECT_EQ(coord_->Append("other", {"x"}), 1u);
  std::vector<Event> events = coord_->Read("s", 0, 10, kNoWait);
  ASSERT_EQ(events.size(), 3u);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, i + 1);
  EXPECT_EQ(Data(events), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(CoordinatorTest, ReadHonoursAfterAndMax) {
  coord_->Append("s", {"1", "2", "3", "4", "5"});
  std::vector<Event> events = coord_->Read("s", 2, 2, kNoWait);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 3u);
  EXPECT_EQ(events[1].seq, 4u);
  EXPECT_EQ(Data(coord_->Read("s", 4, 10, kNoWait)),
            std::vector<std::string>{"5"});
  EXPECT_TRUE(coord_->Read("s", 5, 10, kNoWait).empty());
  EXPECT_TRUE(coord_->Read("missing", 0, 10, kNoWait).empty());
}

TEST_P(CoordinatorTest, ReadBlocksUntilAnotherThreadAppends) {
  coord_->Append("s", {"old"});
  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    coord_->Append("s", {"new"});
  });
  std::vector<Event> events = coord_->Read("s", 1, 10, kLongWait);
  writer.join();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 2u);
  EXPECT_EQ(events[0].data, "new");
}

TEST_P(CoordinatorTest, ReadReturnsEmptyWhenNothingArrives) {
  coord_->Append("s", {"old"});
  EXPECT_TRUE(coord_->Read("s", 1, 10, 50ms).empty());
}

// ---- CommitResults.

TEST_P(CoordinatorTest, CommitResultsFirstCommitWins) {
  // Two attempts of one task, e.g. after a lease expired.
  std::vector<std::string> ids = coord_->Enqueue("q", {"task", "task"});
  bool first = coord_->CommitResults({{"t/0", "first", "s", "q", ids[0]}})[0];
  bool second = coord_->CommitResults({{"t/0", "second", "s", "q", ids[1]}})[0];
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(coord_->Get("t/0"), "first");
  EXPECT_EQ(Data(coord_->Read("s", 0, 10, kNoWait)),
            std::vector<std::string>{"first"});
  EXPECT_EQ(coord_->QueueLength("q"), 0);  // both acked
}

TEST_P(CoordinatorTest, CommitResultsHandlesMixedBatch) {
  coord_->Put("t/1", "earlier");
  coord_->Append("s", {"before"});
  std::vector<std::string> ids = coord_->Enqueue("q", {"0", "1", "2", "2"});
  std::vector<bool> won = coord_->CommitResults({
      {"t/0", "v0", "s", "q", ids[0]},
      {"t/1", "v1", "s", "q", ids[1]},
      {"t/2", "v2", "s", "q", ids[2]},
      {"t/2", "v2-again", "s", "q", ids[3]},  // loses to its own batch
      {"t/3", "v3", "s", "", ""},             // no message to ack
  });
  EXPECT_EQ(won, (std::vector<bool>{true, false, true, false, true}));
  EXPECT_EQ(coord_->Get("t/1"), "earlier");
  EXPECT_EQ(coord_->Get("t/2"), "v2");
  std::vector<Event> events = coord_->Read("s", 0, 10, kNoWait);
  EXPECT_EQ(Data(events),
            (std::vector<std::string>{"before", "v0", "v2", "v3"}));
  EXPECT_EQ(events.back().seq, 4u);
  EXPECT_EQ(coord_->QueueLength("q"), 0);
}

TEST_P(CoordinatorTest, CommitResultsWakesBlockedReader) {
  std::string id = coord_->Enqueue("q", {"task"})[0];
  std::thread worker([&] {
    std::this_thread::sleep_for(100ms);
    coord_->CommitResults({{"t/0", "done", "s", "q", id}});
  });
  std::vector<Event> events = coord_->Read("s", 0, 10, kLongWait);
  worker.join();
  EXPECT_EQ(Data(events), std::vector<std::string>{"done"});
}

// ---- Everything together.

TEST_P(CoordinatorTest, BinaryDataRoundTrips) {
  const std::string binary("a\0b\xff\0\n", 6);
  coord_->Enqueue("q", {binary, ""});
  EXPECT_EQ(Bodies(coord_->Lease("q", 10, kLongLease, kNoWait)),
            (std::vector<std::string>{binary, ""}));
  coord_->Put("k", binary);
  EXPECT_EQ(coord_->Get("k"), binary);
  coord_->Put("empty", "");
  EXPECT_EQ(coord_->Get("empty"), "");
  coord_->Append("s", {binary, ""});
  coord_->CommitResults({{"t", binary, "s", "", ""}});
  EXPECT_EQ(Data(coord_->Read("s", 0, 10, kNoWait)),
            (std::vector<std::string>{binary, "", binary}));
  EXPECT_EQ(coord_->Get("t"), binary);
}

TEST_P(CoordinatorTest, CoordinatorsWithTheSameUriShareState) {
  std::unique_ptr<Coordinator> other = OpenAnother();
  coord_->Put("k", "v");
  EXPECT_EQ(other->Get("k"), "v");
  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    other->Enqueue("q", {"from other"});
  });
  std::vector<LeasedMessage> got = coord_->Lease("q", 1, kLongLease, kLongWait);
  producer.join();
  EXPECT_EQ(Bodies(got), std::vector<std::string>{"from other"});
}

TEST_P(CoordinatorTest, UriReturnsTheOpenedUri) {
  if (uri_.find('@') != std::string::npos) GTEST_SKIP() << "has secrets";
  EXPECT_EQ(coord_->Uri(), uri_);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, CoordinatorTest,
                         testing::ValuesIn(Backends()),
                         [](const testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

// ---- sqlite:// with several processes on one file.

class SqliteCoordinatorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    path_ = dir_ + "/coord.db";
    uri_ = "sqlite://" + path_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs body in a child process that opens its own coordinator, and returns
  // the child's pid. The child exits 0 if body returned true.
  pid_t Spawn(std::function<bool(Coordinator*)> body) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int status = 1;
    try {
      status = body(Coordinator::Open(uri_).get()) ? 0 : 1;
    } catch (...) {
      status = 2;
    }
    _exit(status);
  }

  // Waits for a child; its exit status, or -1 if it died otherwise.
  static int Wait(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  std::string path_;
  std::string uri_;
};

TEST_F(SqliteCoordinatorTest, ChildBlockedInLeaseIsWokenByParentEnqueue) {
  pid_t child = Spawn([](Coordinator* coord) {
    std::vector<LeasedMessage> got =
        coord->Lease("q", 1, kLongLease, kLongWait);
    return got.size() == 1 && got[0].body == "wake up";
  });
  ASSERT_GT(child, 0);
  std::this_thread::sleep_for(200ms);
  Coordinator::Open(uri_)->Enqueue("q", {"wake up"});
  EXPECT_EQ(Wait(child), 0);
}

TEST_F(SqliteCoordinatorTest, ChildBlockedInReadIsWokenByParentAppend) {
  pid_t child = Spawn([](Coordinator* coord) {
    std::vector<Event> events = coord->Read("s", 0, 10, kLongWait);
    return events.size() == 1 && events[0].data == "news";
  });
  ASSERT_GT(child, 0);
  std::this_thread::sleep_for(200ms);
  Coordinator::Open(uri_)->Append("s", {"news"});
  EXPECT_EQ(Wait(child), 0);
}

TEST_F(SqliteCoordinatorTest, CountersFromTwoProcessesSumExactly) {
  constexpr int kAdds = 2000;
  auto add = [](Coordinator* coord) {
    for (int i = 0; i < kAdds; ++i) coord->Add("c", 1);
    return true;
  };
  pid_t child = Spawn(add);
  ASSERT_GT(child, 0);
  std::unique_ptr<Coordinator> coord = Coordinator::Open(uri_);
  add(coord.get());
  ASSERT_EQ(Wait(child), 0);
  EXPECT_EQ(coord->Add("c", 0), 2 * kAdds);
}

TEST_F(SqliteCoordinatorTest, PutIfAbsentFromTwoProcessesHasOneWinnerPerKey) {
  constexpr int kKeys = 500;
  auto race = [](const std::string& me) {
    return [me](Coordinator* coord) {
      int wins = 0;
      for (int i = 0; i < kKeys; ++i) {
        wins += coord->PutIfAbsent("k" + std::to_string(i), me);
      }
      coord->Add("wins/" + me, wins);
      return true;
    };
  };
  pid_t child = Spawn(race("child"));
  ASSERT_GT(child, 0);
  std::unique_ptr<Coordinator> coord = Coordinator::Open(uri_);
  race("parent")(coord.get());
  ASSERT_EQ(Wait(child), 0);

  int child_values = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::optional<std::string> value = coord->Get("k" + std::to_string(i));
    ASSERT_TRUE(value == "child" || value == "parent");
    child_values += value == "child";
  }
  EXPECT_EQ(coord->Add("wins/child", 0), child_values);
  EXPECT_EQ(coord->Add("wins/parent", 0), kKeys - child_values);
}

TEST_F(SqliteCoordinatorTest, FourProcessesLeaseDisjointMessages) {
  constexpr int kMessages = 2000, kWorkers = 4;
  std::unique_ptr<Coordinator> coord = Coordinator::Open(uri_);
  std::vector<std::string> bodies;
  for (int i = 0; i < kMessages; ++i) bodies.push_back(std::to_string(i));
  coord->Enqueue("q", bodies);

  // Each worker commits a record per message; a second commit of one message
  // would lose, so every commit winning means no message went to two workers.
  std::vector<pid_t> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(Spawn([w](Coordinator* c) {
      for (;;) {
        std::vector<LeasedMessage> got = c->Lease("q", 16, kLongLease, kNoWait);
        if (got.empty()) return true;
        std::vector<Commit> commits;
        for (const LeasedMessage& m : got) {
          commits.push_back(
              {"got/" + m.body, std::to_string(w), "", "q", m.id});
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
}

TEST_F(SqliteCoordinatorTest, ReopenFindsEarlierState) {
  Coordinator::Open(uri_)->Put("k", "v");
  EXPECT_EQ(Coordinator::Open(uri_)->Get("k"), "v");
}

TEST_F(SqliteCoordinatorTest, MissingDirectoryIsNotFound) {
  std::string missing = dir_ + "/missing/sub";
  try {
    Coordinator::Open("sqlite://" + missing + "/coord.db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos)
        << e.what();
  }
}

TEST_F(SqliteCoordinatorTest, GarbageFileIsCorruption) {
  std::ofstream(path_) << std::string(8192, 'g');
  try {
    Coordinator::Open(uri_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
}

TEST_F(SqliteCoordinatorTest, RelativePathIsInvalid) {
  try {
    Coordinator::Open("sqlite://relative/coord.db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tern
