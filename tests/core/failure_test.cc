// Supervision: every way a task can fail is reported as what it is, and a
// worker killed mid-task loses nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/client.h"
#include "core/records.h"
#include "core/runtime.h"
#include "core/test_env.h"

namespace tern {
namespace {

using testing_support::ExecutorTest;

int Throws(int x) {
  std::printf("about to fail on %d\n", x);
  if (x == 2) throw std::invalid_argument("bad input " + std::to_string(x));
  return x;
}

int Segfaults(int) {
  volatile int* null = nullptr;
  return *null;
}

int Aborts(int) { std::abort(); }

int Exits(int) { std::exit(3); }

int Spins(int) {
  volatile uint64_t i = 0;
  for (;;) i = i + 1;
}

size_t HogsMemory(int) {
  std::vector<std::vector<char>> blocks;
  for (;;) blocks.emplace_back(16 << 20, 1);
}

struct Unusual {};
int ThrowsNonStd(int) { throw Unusual{}; }

template <class F>
TaskError FailureOf(F&& f, const ExecutorOptions& options) {
  Executor ex(options);
  auto future = ex.CallAsync(f, 1);
  try {
    future.Result();
  } catch (const TaskError& e) {
    EXPECT_EQ(future.State(), TaskState::kFailed);
    return e;
  }
  ADD_FAILURE() << "the task did not fail";
  return TaskError(0, FailureKind::kInfrastructure, "", "", "", 0);
}

TEST_F(ExecutorTest, UserExceptionNamesTaskTypeAndMessage) {
  Executor ex(Options());
  auto futures = ex.Map(Throws, std::vector<int>{0, 1, 2, 3});
  EXPECT_EQ(futures[1].Result(), 1);
  try {
    futures[2].Result();
    FAIL() << "expected a TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.task_index(), 2u);
    EXPECT_EQ(e.kind(), FailureKind::kUserException);
    EXPECT_EQ(e.type(), "std::invalid_argument");
    EXPECT_EQ(e.message(), "bad input 2");
    EXPECT_EQ(e.log(), "about to fail on 2\n");
    EXPECT_EQ(e.attempt(), 1);
    EXPECT_NE(std::string(e.what()).find("task 2 failed"), std::string::npos);
  }
  EXPECT_THROW(GetAllResults(futures), TaskError);
}

TEST_F(ExecutorTest, NonStdExceptionIsNamed) {
  TaskError e = FailureOf(ThrowsNonStd, Options());
  EXPECT_EQ(e.kind(), FailureKind::kUserException);
  EXPECT_NE(e.type().find("Unusual"), std::string::npos);
}

TEST_F(ExecutorTest, SegfaultIsACrash) {
  TaskError e = FailureOf(Segfaults, Options());
  EXPECT_EQ(e.kind(), FailureKind::kCrash);
  EXPECT_NE(e.type().find("SIGSEGV"), std::string::npos) << e.type();
}

TEST_F(ExecutorTest, AbortIsACrash) {
  TaskError e = FailureOf(Aborts, Options());
  EXPECT_EQ(e.kind(), FailureKind::kCrash);
  EXPECT_NE(e.type().find("SIGABRT"), std::string::npos) << e.type();
}

TEST_F(ExecutorTest, ExitIsACrash) {
  TaskError e = FailureOf(Exits, Options());
  EXPECT_EQ(e.kind(), FailureKind::kCrash);
  EXPECT_NE(e.message().find("status 3"), std::string::npos) << e.message();
}

TEST_F(ExecutorTest, EndlessLoopHitsTheTimeout) {
  auto options = Options();
  options.task_timeout = std::chrono::milliseconds(500);
  TaskError e = FailureOf(Spins, options);
  EXPECT_EQ(e.kind(), FailureKind::kTimeout);
  EXPECT_NE(e.message().find("500 ms"), std::string::npos) << e.message();
}

TEST_F(ExecutorTest, MemoryHogHitsTheLimit) {
  auto options = Options();
  options.memory_limit_bytes = 128 << 20;
  TaskError e = FailureOf(HogsMemory, options);
  EXPECT_EQ(e.kind(), FailureKind::kOutOfMemory) << e.what();
}

TEST_F(ExecutorTest, ReusedHostSurvivesNeighboursCrash) {
  auto options = Options();
  options.reuse_processes = true;
  Executor ex(options);
  auto futures = ex.Map(
      [](int x) {
        if (x == 3) std::abort();
        return x;
      },
      std::vector<int>{0, 1, 2, 3, 4, 5});
  for (int i : {0, 1, 2, 4, 5}) EXPECT_EQ(futures[i].Result(), i);
  EXPECT_THROW(futures[3].Result(), TaskError);
}

// Task 0 tells the test its worker's pid on its first attempt and sleeps; the
// test kills that worker with SIGKILL. The task must still finish, once.
int ReportWorkerThenSleep(const std::string& pid_file) {
  if (!std::ifstream(pid_file)) {
    std::ofstream(pid_file + ".tmp") << getppid();
    std::rename((pid_file + ".tmp").c_str(), pid_file.c_str());
    sleep(30);
  }
  return 42;
}

TEST_F(ExecutorTest, KilledWorkersTaskIsRerunAndCountedOnce) {
  auto options = Options();
  options.lease = std::chrono::milliseconds(500);
  Executor ex(options);
  std::string pid_file = dir() + "/worker.pid";
  auto future = ex.CallAsync(ReportWorkerThenSleep, pid_file);
  pid_t worker = 0;
  while (!(std::ifstream(pid_file) >> worker)) usleep(10000);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  EXPECT_EQ(future.Result(), 42);
  EXPECT_EQ(future.Info().attempt, 2);

  auto coordinator = Coordinator::Open(options.coordinator);
  auto events = coordinator->Read(internal::JobKey(future.job_id(), "events"),
                                  0, 100, std::chrono::milliseconds(0));
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(ExecutorTest, WorkerRefusesAJobOfAnotherBinary) {
  auto client = std::make_shared<internal::Client>(Options());
  internal::StoredJob job;
  job.id = "foreign-job";
  job.kind = "map";
  job.runtime = std::string(64, '0');
  job.tasks = 1;
  client->coordinator().Put(internal::JobKey(job.id, "spec"),
                            internal::Encode(job));
  internal::JobHandleImpl handle(client, job.id, 1);
  client->Enqueue(
      {internal::Encode(internal::TaskMessage{job.id, 0, "", "", 0})});
  try {
    handle.ResultBytes(0);
    FAIL() << "the worker ran a foreign binary's job";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.kind(), FailureKind::kInfrastructure);
    EXPECT_NE(e.message().find("refusing"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(internal::RuntimeHash()), std::string::npos);
  }
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

std::string RandomBytes(int size) {
  usleep(300000);  // long enough for the duplicate to run at the same time
  std::random_device device;
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(device());
  return bytes;
}

// Two attempts of one non-deterministic task run at once; every reader must
// see the one result that won, and the loser's object must be gone.
TEST_F(ExecutorTest, DuplicateAttemptsLeaveOneConsistentResult) {
  auto options = Options();
  Executor ex(options);
  const int size = 100000;  // above the inline limit: results go to the store
  auto future = ex.CallAsync(RandomBytes, size);
  auto coordinator = Coordinator::Open(options.coordinator);
  internal::TaskMessage duplicate{future.job_id(), 0, internal::Encode(size),
                                  "", internal::NowMicros()};
  coordinator->Enqueue(internal::QueueName(internal::RuntimeHash()),
                       {internal::Encode(duplicate)});

  std::string seen_by_future = future.Result();
  while (coordinator->QueueLength(
             internal::QueueName(internal::RuntimeHash())) > 0) {
    usleep(10000);
  }
  auto record = internal::Decode<internal::TaskRecord>(
      *coordinator->Get(internal::TaskKey(future.job_id(), 0)), "record");
  auto store = ObjectStore::Open(options.store);
  EXPECT_EQ(internal::ResultBytesOf(record, *store),
            internal::Encode(seen_by_future));
  auto events = coordinator->Read(internal::JobKey(future.job_id(), "events"),
                                  0, 10, std::chrono::milliseconds(0));
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(store->List(internal::JobKey(future.job_id(), "out/")).size(), 1u);
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

int Twice(int x) { return 2 * x; }

// An input object that is missing is the infrastructure's failure, not the
// task's: it is retried with backoff, then reported on the last attempt.
TEST_F(ExecutorTest, MissingInputIsRetriedThenReported) {
  auto client = std::make_shared<internal::Client>(Options());
  internal::StoredJob job;
  job.id = "job-with-lost-input";
  job.kind = "map";
  job.runtime = internal::RuntimeHash();
  job.function = internal::MakeFunctionRef(
      &Twice, &internal::MapTrampoline<int (*)(int), int>);
  job.extra = internal::Encode(std::tuple<>());
  job.tasks = 1;
  job.max_attempts = 2;
  job.inline_limit_bytes = 1 << 16;
  client->coordinator().Put(internal::JobKey(job.id, "spec"),
                            internal::Encode(job));
  internal::JobHandleImpl handle(client, job.id, 1);
  internal::TaskMessage message{job.id, 0, "", internal::JobKey(job.id, "in/0"),
                                0};
  client->Enqueue({internal::Encode(message)});
  try {
    handle.ResultBytes(0);
    FAIL() << "a task without its input succeeded";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.kind(), FailureKind::kInfrastructure);
    EXPECT_EQ(e.attempt(), 2);
    EXPECT_NE(e.message().find("jobs/job-with-lost-input/in/0"),
              std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

// Task 30's first attempt straggles (it would sleep a minute); every other
// run of any task takes 20 ms. The straggling attempt leaves its pid behind.
// Workers judge a straggler against the run times they have seen, so it comes
// late in the job, where stragglers hurt most.
int MaybeStraggle(int x, const std::string& dir) {
  if (x == 30) {
    int fd =
        open((dir + "/straggler").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0) {
      std::string pid = std::to_string(getpid());
      (void)!write(fd, pid.data(), pid.size());
      close(fd);
      sleep(60);
    }
  }
  usleep(20000);
  return x;
}

TEST_F(ExecutorTest, StragglerGetsABackupThatWins) {
  auto options = Options();
  options.speculation = 4;
  Executor ex(options);
  std::vector<int> inputs(40);
  for (int i = 0; i < 40; ++i) inputs[i] = i;
  auto futures = ex.Map(MaybeStraggle, inputs, dir());
  // A generous bound for liveness only: without a backup this takes 60 s.
  auto waited = Wait(futures, ALL_COMPLETED, std::chrono::seconds(30));
  ASSERT_EQ(waited.not_done.size(), 0u);
  EXPECT_EQ(GetAllResults(futures)[30], 30);

  auto coordinator = Coordinator::Open(options.coordinator);
  EXPECT_GE(
      coordinator->Add(internal::JobKey(futures[0].job_id(), "backups"), 0), 1);
  // The straggling first attempt is stopped once its backup has committed.
  pid_t straggler = 0;
  std::ifstream(dir() + "/straggler") >> straggler;
  ASSERT_GT(straggler, 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = kill(straggler, 0) != 0;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "the straggling attempt still runs";
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

// Resource limits of task processes: no core dumps (a task's memory image is
// the user's data), and the address-space cap when a memory limit is set.
TEST_F(ExecutorTest, TaskProcessesRunUnderResourceLimits) {
  auto options = Options();
  options.memory_limit_bytes = 256 << 20;
  Executor ex(options);
  auto limits = ex.CallAsync(
                      [](int) {
                        rlimit core{}, address_space{};
                        getrlimit(RLIMIT_CORE, &core);
                        getrlimit(RLIMIT_AS, &address_space);
                        return std::pair<uint64_t, uint64_t>{
                            core.rlim_cur, address_space.rlim_cur};
                      },
                      0)
                    .Result();
  EXPECT_EQ(limits.first, 0u);
  EXPECT_NE(limits.second, RLIM_INFINITY);
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

// A store on a full disk: the task's output cannot be stored, which is the
// infrastructure's failure: retried, then reported with the store's error.
// Needs a 1 MiB tmpfs, so root; skipped otherwise.
TEST_F(ExecutorTest, FullDiskIsReportedAsSuch) {
  std::string small = dir() + "/small";
  std::filesystem::create_directories(small);
  if (std::system(
          ("mount -t tmpfs -o size=1m tern-test " + small + " 2>/dev/null")
              .c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
  }
  auto options = Options();
  options.store = "file://" + small;
  options.max_attempts = 2;
  try {
    Executor ex(options);
    auto future =
        ex.CallAsync([](int size) { return std::string(size, 'x'); }, 4 << 20);
    future.Result();
    ADD_FAILURE() << "a 4 MiB result fit on a 1 MiB disk";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.kind(), FailureKind::kInfrastructure);
    EXPECT_EQ(e.attempt(), 2);
    EXPECT_NE(e.message().find("No space left on device"), std::string::npos)
        << e.message();
  }
  std::system(("umount " + small).c_str());
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

// A result object that vanished from the store (deleted by hand, a store
// wiped) is reported as missing, naming its key; nothing hangs.
TEST_F(ExecutorTest, MissingResultObjectIsNamed) {
  Executor ex(Options());
  auto future =
      ex.CallAsync([](int size) { return std::string(size, 'r'); }, 100000);
  Wait(std::vector{future});
  auto store = ObjectStore::Open(Options().store);
  std::vector<std::string> outputs =
      store->List(internal::JobKey(future.job_id(), "out/"));
  ASSERT_EQ(outputs.size(), 1u);
  store->Delete(outputs[0]);
  try {
    future.Result();
    FAIL() << "a missing result object was not noticed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find(outputs[0]), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

// Bytes that do not decode as the expected type are corruption, named.
TEST(CodecTest, UndecodableBytesAreCorruptionNamingWhatAndType) {
  try {
    internal::Decode<std::vector<double>>("\x05", "task result");
    FAIL() << "garbage decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("task result"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("std::vector<double"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tern
