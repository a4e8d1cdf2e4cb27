// Runs the built `tern` command as a subprocess against a scratch file store
// and SQLite coordinator. Jobs are written straight through the Coordinator
// API, as a client and its workers would, so no task ever runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/records.h"
#include "tern/coordinator.h"
#include "tern/errors.h"
#include "tern/object_store.h"

extern char** environ;

namespace tern {
namespace {

using internal::Encode;
using internal::JobKey;
using internal::StoredJob;
using internal::TaskRecord;

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Every TERN_* variable, so that the developer's own settings stay out.
void ClearTernEnvironment() {
  std::vector<std::string> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    if (text.rfind("TERN_", 0) == 0)
      names.push_back(text.substr(0, text.find('=')));
  }
  for (const std::string& name : names) unsetenv(name.c_str());
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tern-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::filesystem::create_directories(dir_ + "/store");
    store_uri_ = "file://" + dir_ + "/store";
    coordinator_uri_ = "sqlite://" + dir_ + "/coordinator.db";
    ClearTernEnvironment();
    setenv("TERN_HOME", (dir_ + "/home").c_str(), 1);
    setenv("TERN_STORE", store_uri_.c_str(), 1);
    setenv("TERN_COORDINATOR", coordinator_uri_.c_str(), 1);
  }

  void TearDown() override {
    coordinator_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs tern with args, input on its stdin.
  Output Run(const std::vector<std::string>& args,
             const std::string& input = "") {
    std::string in = dir_ + "/stdin", out = dir_ + "/stdout",
                err = dir_ + "/stderr";
    WriteFile(in, input);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(open(in.c_str(), O_RDONLY), 0);
      dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
      dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      std::vector<char*> argv = {const_cast<char*>(TERN_CLI_PATH)};
      for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
      }
      argv.push_back(nullptr);
      execv(TERN_CLI_PATH, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Output output;
    output.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    output.out = ReadFile(out);
    output.err = ReadFile(err);
    return output;
  }

  ObjectStore& store() {
    if (!store_) store_ = ObjectStore::Open(store_uri_);
    return *store_;
  }

  Coordinator& coordinator() {
    if (!coordinator_) coordinator_ = Coordinator::Open(coordinator_uri_);
    return *coordinator_;
  }

  // Stores a job as Executor::Map would.
  void Submit(const std::string& id, uint64_t tasks) {
    StoredJob job;
    job.id = id;
    job.kind = "map";
    job.runtime = std::string(64, 'a');
    job.function.name = "Simulate(double)";
    job.tasks = tasks;
    job.task_timeout_ms = 30000;
    job.inline_limit_bytes = 64 * 1024;
    job.created_us = internal::NowMicros();
    coordinator().Put(JobKey(id, "spec"), Encode(job));
    coordinator().Put("active/" + id, job.kind);
  }

  // Commits a task's record as a worker would.
  void Finish(const std::string& id, const TaskRecord& record) {
    coordinator().CommitResults(
        {Commit{internal::TaskKey(id, record.index), Encode(record),
                JobKey(id, "events"), "", ""}});
  }

  TaskRecord Succeeded(uint64_t index, const std::string& log) {
    TaskRecord record;
    record.index = index;
    record.ok = true;
    record.log = log;
    record.attempt = 1;
    record.worker = "host:1";
    return record;
  }

  TaskRecord Failed(uint64_t index, const std::string& type,
                    const std::string& message) {
    TaskRecord record = Succeeded(index, "");
    record.ok = false;
    record.failure_kind = static_cast<int>(FailureKind::kUserException);
    record.error_type = type;
    record.error_message = message;
    return record;
  }

  std::string dir_;
  std::string store_uri_;
  std::string coordinator_uri_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(CliTest, StoragePutGetListRemove) {
  std::string file = dir_ + "/data.bin";
  std::string data("binary\0data\n", 12);
  WriteFile(file, data);
  ASSERT_EQ(Run({"storage", "put", "a/file", file}).status, 0);
  ASSERT_EQ(Run({"storage", "put", "a/stdin", "-"}, "from stdin").status, 0);
  ASSERT_EQ(Run({"storage", "put", "b/other", "-"}, "x").status, 0);

  Output ls = Run({"storage", "ls", "a/"});
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("a/file"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("a/stdin"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("12 B"), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find("b/other"), std::string::npos) << ls.out;
  Output long_ls = Run({"storage", "ls", "-l"});
  EXPECT_NE(long_ls.out.find("total 3 objects, 23 bytes"), std::string::npos)
      << long_ls.out;

  Output get = Run({"storage", "get", "a/file"});
  EXPECT_EQ(get.status, 0) << get.err;
  EXPECT_EQ(get.out, data);
  ASSERT_EQ(Run({"storage", "get", "a/stdin", dir_ + "/copy"}).status, 0);
  EXPECT_EQ(ReadFile(dir_ + "/copy"), "from stdin");

  Output rm = Run({"storage", "rm", "a/file", "a/stdin"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(Run({"storage", "ls"}).out.find("a/"), std::string::npos);
  EXPECT_EQ(store().List(""), std::vector<std::string>{"b/other"});
}

TEST_F(CliTest, GetOfAMissingKeyNamesIt) {
  Output get = Run({"storage", "get", "no/such/key"});
  EXPECT_EQ(get.status, 1);
  EXPECT_EQ(get.err.rfind("tern: ", 0), 0u) << get.err;
  EXPECT_NE(get.err.find("no/such/key"), std::string::npos) << get.err;
  Output rm = Run({"storage", "rm", "no/such/key"});
  EXPECT_EQ(rm.status, 1);
  EXPECT_NE(rm.err.find("no/such/key"), std::string::npos) << rm.err;
  EXPECT_EQ(Run({"storage", "rm", "-f", "no/such/key"}).status, 0);
}

TEST_F(CliTest, GlobalOptionsOverrideTheEnvironment) {
  std::filesystem::create_directories(dir_ + "/other");
  std::string other = "file://" + dir_ + "/other";
  ASSERT_EQ(Run({"storage", "put", "--store", other, "k", "-"}, "v").status, 0);
  EXPECT_FALSE(store().Size("k"));
  EXPECT_EQ(Run({"--store", other, "storage", "get", "k"}).out, "v");
  EXPECT_EQ(Run({"storage", "--store", other, "get", "k"}).out, "v");
}

TEST_F(CliTest, ConfigShowMasksSecrets) {
  setenv("TERN_COORDINATOR", "redis://alice:hunter2pw@localhost:6379/0", 1);
  setenv("TERN_STORE", "s3://bucket/prefix?region=eu&secret_key=s3cr3tkey", 1);
  std::string config = dir_ + "/config.yaml";
  WriteFile(config, "workers: 3\nlease: 2m\nmemory_limit: 512MiB\n");
  setenv("TERN_CONFIG", config.c_str(), 1);
  Output show = Run({"config", "show"});
  ASSERT_EQ(show.status, 0) << show.err;
  std::string all = show.out + show.err;
  EXPECT_EQ(all.find("hunter2pw"), std::string::npos) << all;
  EXPECT_EQ(all.find("s3cr3tkey"), std::string::npos) << all;
  EXPECT_NE(show.out.find("coordinator: redis://alice:****@localhost:6379/0"),
            std::string::npos)
      << show.out;
  EXPECT_NE(
      show.out.find("store: s3://bucket/prefix?region=eu&secret_key=****"),
      std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("# config file: " + config), std::string::npos);
  for (const char* line :
       {"workers: 3\n", "lease: 2m\n", "memory_limit: 512MiB\n",
        "max_attempts: 3\n", "reuse_processes: false\n", "worker_idle: 2s\n",
        "inline_limit: 64KiB\n", "progress: auto\n", "task_timeout: 0s\n",
        "backend: local\n"}) {
    EXPECT_NE(show.out.find(line), std::string::npos) << line << show.out;
  }
}

TEST_F(CliTest, ConfigShowReportsABadConfig) {
  setenv("TERN_WORKERS", "many", 1);
  Output show = Run({"config", "show"});
  EXPECT_EQ(show.status, 1);
  EXPECT_NE(show.err.find("TERN_WORKERS"), std::string::npos) << show.err;
}

TEST_F(CliTest, JobsListShowAndLogs) {
  Submit("job-a", 3);
  Finish("job-a", Succeeded(0, "hello from task 0\n"));
  TaskRecord failed = Failed(1, "std::invalid_argument", "bad sigma");
  failed.log_key = JobKey("job-a", "log/1.1");
  store().Put(failed.log_key, std::string(5000, 'x') + "\nlast words\n");
  Finish("job-a", failed);
  Submit("job-b", 1);
  Finish("job-b", Succeeded(0, "b says hi"));

  Output list = Run({"jobs", "list"});
  ASSERT_EQ(list.status, 0) << list.err;
  std::istringstream lines(list.out);
  std::string header, a, b;
  std::getline(lines, header);
  std::getline(lines, a);
  std::getline(lines, b);
  EXPECT_NE(header.find("STATE"), std::string::npos);
  EXPECT_EQ(a.rfind("job-a", 0), 0u) << list.out;
  EXPECT_NE(a.find("map"), std::string::npos);
  std::istringstream fields(a);
  std::vector<std::string> field{std::istream_iterator<std::string>(fields),
                                 std::istream_iterator<std::string>()};
  ASSERT_GE(field.size(), 5u) << a;
  EXPECT_EQ(field[2], "3") << a;  // tasks
  EXPECT_EQ(field[3], "2") << a;  // finished
  EXPECT_EQ(field[4], "1") << a;  // failed
  EXPECT_NE(a.find("running"), std::string::npos) << a;
  EXPECT_NE(b.find("finished"), std::string::npos) << b;

  Output show = Run({"jobs", "show", "job-a"});
  ASSERT_EQ(show.status, 0) << show.err;
  for (const std::string& text :
       std::vector<std::string>{"Simulate(double)", std::string(64, 'a'), "30s",
                                "std::invalid_argument: bad sigma",
                                "task 1 (user exception, attempt 1)"}) {
    EXPECT_NE(show.out.find(text), std::string::npos) << text << show.out;
  }

  EXPECT_EQ(Run({"logs", "job-a", "0"}).out, "hello from task 0\n");
  EXPECT_NE(Run({"logs", "job-a", "1"}).out.find("last words"),
            std::string::npos);
  Output all = Run({"logs", "job-a"});
  EXPECT_EQ(all.status, 0) << all.err;
  size_t first = all.out.find("==> task 0 (ok");
  size_t second = all.out.find("==> task 1 (failed: user exception");
  EXPECT_NE(first, std::string::npos) << all.out;
  EXPECT_NE(second, std::string::npos) << all.out;
  EXPECT_LT(first, second);
  EXPECT_NE(all.out.find("last words"), std::string::npos);
}

TEST_F(CliTest, MissingJobsAndTasksAreReported) {
  Submit("job-a", 3);
  Output pending = Run({"logs", "job-a", "2"});
  EXPECT_EQ(pending.status, 1);
  EXPECT_NE(pending.err.find("task 2 of job job-a has not finished"),
            std::string::npos)
      << pending.err;
  Output beyond = Run({"logs", "job-a", "7"});
  EXPECT_EQ(beyond.status, 1);
  EXPECT_NE(beyond.err.find("has no task 7"), std::string::npos) << beyond.err;
  for (auto args :
       std::vector<std::vector<std::string>>{{"logs", "nope"},
                                             {"jobs", "show", "nope"},
                                             {"jobs", "cancel", "nope"},
                                             {"jobs", "clean", "nope"}}) {
    Output missing = Run(args);
    EXPECT_EQ(missing.status, 1) << args[0];
    EXPECT_NE(missing.err.find("no job 'nope'"), std::string::npos)
        << missing.err;
  }
  EXPECT_NE(Run({"jobs", "list"}).out.find("job-a"), std::string::npos);
}

TEST_F(CliTest, CancelAndClean) {
  Submit("job-run", 2);
  Submit("job-done", 1);
  Finish("job-done", Succeeded(0, "done"));
  store().Put("jobs/job-done/in/0", "input");
  Submit("job-stop", 2);
  store().Put("jobs/job-stop/extra", "extra");

  Output cancel = Run({"jobs", "cancel", "job-stop"});
  EXPECT_EQ(cancel.status, 0) << cancel.err;
  EXPECT_TRUE(coordinator().Get(JobKey("job-stop", "cancelled")));
  EXPECT_NE(
      Run({"jobs", "show", "job-stop"}).out.find("state:            cancelled"),
      std::string::npos);

  Output refused = Run({"jobs", "clean", "job-run"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("job-run is still running"), std::string::npos)
      << refused.err;
  EXPECT_TRUE(coordinator().Get(JobKey("job-run", "spec")));

  Output finished = Run({"jobs", "clean", "--finished"});
  EXPECT_EQ(finished.status, 0) << finished.err;
  EXPECT_EQ(coordinator().ListKeys("active/"),
            std::vector<std::string>{"active/job-run"});
  EXPECT_TRUE(coordinator().ListKeys("jobs/job-done/").empty());
  EXPECT_TRUE(coordinator().ListKeys("jobs/job-stop/").empty());
  EXPECT_TRUE(coordinator()
                  .Read(JobKey("job-done", "events"), 0, 10, Millis(0))
                  .empty());
  EXPECT_TRUE(store().List("").empty());

  EXPECT_EQ(Run({"jobs", "clean", "--force", "job-run"}).status, 0);
  EXPECT_TRUE(coordinator().ListKeys("").empty());
  EXPECT_NE(Run({"jobs", "list"}).out.find("no jobs"), std::string::npos);
}

TEST_F(CliTest, CleanSparesAJobWhoseIdExtendsTheCleanedOne) {
  Submit("job", 1);
  Finish("job", Succeeded(0, ""));
  Submit("job2", 1);
  Output clean = Run({"jobs", "clean", "job"});
  EXPECT_EQ(clean.status, 0) << clean.err;
  EXPECT_NE(clean.err.find("warning: left active/job in place"),
            std::string::npos)
      << clean.err;
  EXPECT_TRUE(coordinator().Get("active/job2"));
  EXPECT_TRUE(coordinator().Get(JobKey("job2", "spec")));
  EXPECT_TRUE(coordinator().ListKeys("jobs/job/").empty());
}

TEST_F(CliTest, CleanNeedsJobsOrFinished) {
  EXPECT_EQ(Run({"jobs", "clean"}).status, 2);
  EXPECT_EQ(Run({"jobs", "clean", "--finished", "x"}).status, 2);
}

TEST_F(CliTest, HelpOfEveryVerbNamesItsSubverbs) {
  const std::vector<
      std::pair<std::vector<std::string>, std::vector<std::string>>>
      cases = {
          {{}, {"storage", "jobs", "logs", "config", "worker", "--store"}},
          {{"storage"}, {"ls", "put", "get", "rm", "--coordinator"}},
          {{"storage", "ls"}, {"PREFIX", "--long", "--store"}},
          {{"storage", "put"}, {"KEY", "FILE"}},
          {{"storage", "get"}, {"KEY", "FILE"}},
          {{"storage", "rm"}, {"KEY", "--force"}},
          {{"jobs"}, {"list", "show", "cancel", "clean"}},
          {{"jobs", "list"}, {"--store"}},
          {{"jobs", "show"}, {"JOB", "--failures"}},
          {{"jobs", "cancel"}, {"JOB"}},
          {{"jobs", "clean"}, {"JOB", "--finished", "--force"}},
          {{"logs"}, {"JOB", "TASK"}},
          {{"config"}, {"show"}},
          {{"config", "show"}, {"--coordinator"}},
          {{"worker"}, {"--slots", "--idle-exit", "--cache"}},
      };
  for (const auto& [verb, words] : cases) {
    std::vector<std::string> args = verb;
    args.push_back("--help");
    Output help = Run(args);
    std::string name = verb.empty() ? "tern" : verb.back();
    EXPECT_EQ(help.status, 0) << name << help.err;
    for (const std::string& word : words) {
      EXPECT_NE(help.out.find(word), std::string::npos)
          << name << " --help lacks " << word << ":\n"
          << help.out;
    }
  }
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  Output unknown = Run({"frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("frobnicate"), std::string::npos) << unknown.err;
  EXPECT_EQ(Run({}).status, 2);
  EXPECT_EQ(Run({"jobs"}).status, 2);
  EXPECT_EQ(Run({"storage", "put", "only-a-key"}).status, 2);
  EXPECT_EQ(Run({"worker", "--idle-exit", "soon"}).status, 2);
  EXPECT_EQ(Run({"logs", "job", "not-a-number"}).status, 2);
}

TEST_F(CliTest, WorkerExitsWhenIdle) {
  Output worker = Run({"worker", "--idle-exit", "200ms", "--slots", "1",
                       "--cache", dir_ + "/cache"});
  EXPECT_EQ(worker.status, 0) << worker.err;
}

}  // namespace
}  // namespace tern
