// The worker loop: lease tasks -> fetch inputs -> run them in a task host ->
// store large outputs -> commit records (first commit wins) -> ack.
//
// Workers keep no state that matters: a worker may be killed at any moment and
// its leased tasks reappear when their leases expire. The lease batch adapts to
// task length: short tasks are leased many at a time to amortise coordinator
// round trips, long ones one at a time so that siblings spread over workers.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/records.h"
#include "core/retry_policy.h"
#include "core/runtime.h"
#include "core/task_host.h"
#include "tern/coordinator.h"
#include "tern/object_store.h"
#include "tern/options.h"
#include "util/random_id.h"

namespace tern::internal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTargetBatchTime = std::chrono::milliseconds(20);
constexpr int kMaxBatch = 256;
constexpr uint64_t kInlineLogBytes = 4096;
constexpr auto kCancelCheckInterval = std::chrono::milliseconds(500);
constexpr auto kGiveUpAfter = std::chrono::seconds(60);
// Speculation: how often the heartbeat looks at the running task, how many
// finished siblings make a median, and the shortest run that can straggle.
constexpr auto kSpeculationTick = std::chrono::milliseconds(20);
constexpr auto kSpeculationCheck = std::chrono::milliseconds(50);
constexpr auto kMinStraggler = std::chrono::milliseconds(50);
constexpr size_t kMinSamples = 3;
constexpr size_t kMaxSamples = 256;

struct Job {
  StoredJob spec;
  bool gone = false;  // its spec was removed: the job was cleaned up
  std::string extra;
  std::string refusal;  // why this worker will not run it, if it will not
};

struct Task {
  LeasedMessage lease;
  TaskMessage message;
  std::string input;
  std::optional<TaskRecord> early;  // decided without running the task
  bool skip = false;                // a backup whose task already finished
  bool backed_up = false;           // a backup of this attempt was enqueued
  Clock::time_point last_check{};   // of whether another attempt has won
};

class Worker {
 public:
  explicit Worker(const ExecutorOptions& options)
      : options_(options),
        store_(ObjectStore::Open(options.store)),
        coordinator_(Coordinator::Open(options.coordinator)),
        queue_(QueueName(RuntimeHash())),
        name_(ProcessName()),
        reader_(options.store, options.coordinator),
        host_(&reader_) {}

  // The loop rides out failures of the stores: the leases of the batch in
  // hand expire and its tasks run again. It gives up when the stores have
  // failed without a break for longer than kGiveUpAfter.
  int Run() {
    auto idle_since = Clock::now();
    auto failing_since = Clock::now();
    int failures = 0;
    for (;;) {
      try {
        if (!RunOnce(idle_since)) return 0;
        failures = 0;
      } catch (const Error& e) {
        if (failures++ == 0) failing_since = Clock::now();
        if (Clock::now() - failing_since > kGiveUpAfter) throw;
        auto backoff = Backoff(failures);
        std::fprintf(stderr, "tern worker %s: %s; retrying in %lld ms\n",
                     name_.c_str(), e.what(),
                     static_cast<long long>(backoff.count()));
        std::this_thread::sleep_for(backoff);
        idle_since = Clock::now();
      }
    }
  }

 private:
  // Leases and processes one batch. Returns false once idle for worker_idle.
  bool RunOnce(Clock::time_point& idle_since) {
    auto idle_left = options_.worker_idle - (Clock::now() - idle_since);
    auto wait =
        std::max(std::chrono::duration_cast<Millis>(idle_left), Millis(1));
    std::vector<LeasedMessage> batch =
        coordinator_->Lease(queue_, batch_size_, options_.lease, wait);
    if (batch.empty()) return Clock::now() - idle_since < options_.worker_idle;
    auto start = Clock::now();
    Process(batch);
    AdaptBatch(Clock::now() - start, batch.size());
    idle_since = Clock::now();
    return true;
  }

  void AdaptBatch(Clock::duration spent, size_t tasks) {
    auto per_task = spent / std::max<size_t>(tasks, 1);
    int fit = per_task.count() > 0
                  ? static_cast<int>(kTargetBatchTime / per_task)
                  : kMaxBatch;
    batch_size_ = std::clamp(fit, 1, kMaxBatch);
  }

  void Process(std::vector<LeasedMessage>& batch) {
    std::vector<Task> tasks;
    for (LeasedMessage& lease : batch) {
      Task& task = tasks.emplace_back();
      task.lease = std::move(lease);
      task.message = Decode<TaskMessage>(task.lease.body, "task message");
    }
    // Consecutive tasks of one job run together.
    size_t begin = 0;
    while (begin < tasks.size()) {
      size_t end = begin + 1;
      while (end < tasks.size() &&
             tasks[end].message.job == tasks[begin].message.job)
        ++end;
      ProcessJob(tasks, begin, end);
      begin = end;
    }
  }

  const Job& LoadJob(const std::string& id) {
    auto cached = jobs_.find(id);
    if (cached != jobs_.end()) return cached->second;
    if (jobs_.size() > 64) {
      jobs_.clear();
      cancel_checks_.clear();
      run_times_.clear();
    }
    Job& job = jobs_[id];
    std::optional<std::string> spec = coordinator_->Get(JobKey(id, "spec"));
    if (!spec) {
      job.gone = true;
      return job;
    }
    job.spec = Decode<StoredJob>(*spec, "job spec");
    if (job.spec.runtime != RuntimeHash()) {
      job.refusal = "refusing to run job " + id +
                    ": it was submitted by a binary with sha256 " +
                    job.spec.runtime + ", this worker runs " + RuntimeHash();
      return job;
    }
    if (!job.spec.extra_key.empty()) {
      std::optional<std::string> extra = store_->Get(job.spec.extra_key);
      if (!extra) {
        job.refusal =
            "extra arguments object '" + job.spec.extra_key + "' is missing";
        return job;
      }
      job.extra = std::move(*extra);
    } else {
      job.extra = job.spec.extra;
    }
    return job;
  }

  TaskRecord NewRecord(const Task& task) {
    TaskRecord record;
    record.index = task.message.index;
    record.attempt = task.lease.delivery;
    record.worker = name_;
    record.enqueued_us = task.message.enqueued_us;
    record.started_us = record.finished_us = NowMicros();
    return record;
  }

  TaskRecord Failure(const Task& task, FailureKind kind, std::string message) {
    TaskRecord record = NewRecord(task);
    record.failure_kind = static_cast<int>(kind);
    record.error_message = std::move(message);
    return record;
  }

  // Decides the tasks that cannot run: a refused job, attempts used up, a
  // missing input. Fetches the inputs of the others.
  void Prepare(const Job& job, Task& task) {
    if (task.message.backup &&
        coordinator_->Get(TaskKey(job.spec.id, task.message.index))) {
      task.skip = true;  // the attempt it backs up has finished meanwhile
    } else if (!job.refusal.empty()) {
      task.early = Failure(task, FailureKind::kInfrastructure, job.refusal);
    } else if (task.lease.delivery > job.spec.max_attempts) {
      task.early =
          Failure(task, FailureKind::kWorkerLost,
                  "the task's worker died or lost its lease on each of " +
                      std::to_string(job.spec.max_attempts) + " attempts");
    } else if (!task.message.input_key.empty()) {
      std::optional<std::string> input = store_->Get(task.message.input_key);
      if (!input) {
        task.early = Failure(task, FailureKind::kInfrastructure,
                             "input object '" + task.message.input_key +
                                 "' is missing from " + store_->Uri());
      } else {
        task.input = std::move(*input);
      }
    } else {
      task.input = std::move(task.message.input);
    }
  }

  // Whether job was cancelled. Between batches a recent answer will do, so
  // that a stream of short tasks costs no extra coordinator round trip each;
  // heartbeats of running tasks ask afresh.
  bool Cancelled(const std::string& job, bool fresh) {
    auto now = Clock::now();
    auto& [checked, cancelled] = cancel_checks_[job];
    if (fresh || cancelled || now - checked > kCancelCheckInterval) {
      cancelled = coordinator_->Get(JobKey(job, "cancelled")).has_value();
      checked = now;
    }
    return cancelled;
  }

  void ProcessJob(std::vector<Task>& tasks, size_t begin, size_t end) {
    const std::string& id = tasks[begin].message.job;
    if (Cancelled(id, false)) {
      AckAll(tasks, begin, end);
      return;
    }
    const Job& job = LoadJob(id);
    if (job.gone) {  // cleaned up while its messages were queued: drop them
      AckAll(tasks, begin, end);
      return;
    }
    std::vector<Task*> runnable;
    std::vector<std::string> inputs;
    std::vector<std::string> done_elsewhere;
    for (size_t i = begin; i < end; ++i) {
      Prepare(job, tasks[i]);
      if (tasks[i].skip) {
        done_elsewhere.push_back(tasks[i].lease.id);
      } else if (!tasks[i].early) {
        runnable.push_back(&tasks[i]);
        inputs.push_back(std::move(tasks[i].input));
      }
    }
    std::vector<Outcome> outcomes;
    if (!runnable.empty()) outcomes = RunTasks(job, runnable, inputs);
    std::vector<TaskRecord> records;
    std::vector<const Task*> owners;
    for (size_t i = begin, r = 0; i < end; ++i) {
      Task& task = tasks[i];
      if (task.skip) continue;
      if (task.early) {
        records.push_back(std::move(*task.early));
      } else {
        Outcome& outcome = outcomes[r];
        uint64_t input_bytes = inputs[r].size();
        ++r;
        if (outcome.cancelled) continue;
        records.push_back(ToRecord(job, task, outcome, input_bytes));
      }
      owners.push_back(&task);
    }
    RetryLater(job, records, owners);
    Commit(id, records, owners);
    std::vector<std::string> cancelled;
    for (Task* task : runnable) {
      bool committed =
          std::find(owners.begin(), owners.end(), task) != owners.end();
      if (!committed && !retried_.count(task))
        cancelled.push_back(task->lease.id);
    }
    retried_.clear();
    cancelled.insert(cancelled.end(), done_elsewhere.begin(),
                     done_elsewhere.end());
    if (!cancelled.empty()) coordinator_->Ack(queue_, cancelled);
  }

  // Takes out of records (and owners) the failures that DecideRetry says to
  // run again, and hides their messages for the backoff; the message then
  // reappears with its delivery count, the attempt number, raised.
  void RetryLater(const Job& job, std::vector<TaskRecord>& records,
                  std::vector<const Task*>& owners) {
    size_t kept = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      const TaskRecord& record = records[i];
      RetryDecision decision =
          record.ok ? RetryDecision{}
                    : DecideRetry(static_cast<FailureKind>(record.failure_kind),
                                  record.attempt, job.spec.max_attempts);
      if (decision.retry) {
        std::fprintf(
            stderr,
            "tern worker %s: task %llu of job %s: %s; retrying in %lld ms\n",
            name_.c_str(), static_cast<unsigned long long>(record.index),
            job.spec.id.c_str(), record.error_message.c_str(),
            static_cast<long long>(decision.backoff.count()));
        coordinator_->Renew(queue_, owners[i]->lease, decision.backoff);
        retried_.insert(owners[i]);
        continue;
      }
      if (kept != i) {
        records[kept] = std::move(records[i]);
        owners[kept] = owners[i];
      }
      ++kept;
    }
    records.resize(kept);
    owners.resize(kept);
  }

  void AckAll(const std::vector<Task>& tasks, size_t begin, size_t end) {
    std::vector<std::string> ids;
    for (size_t i = begin; i < end; ++i) ids.push_back(tasks[i].lease.id);
    coordinator_->Ack(queue_, ids);
  }

  std::vector<Outcome> RunTasks(const Job& job,
                                const std::vector<Task*>& runnable,
                                const std::vector<std::string>& inputs) {
    HostLimits limits{Millis(job.spec.task_timeout_ms),
                      job.spec.memory_limit_bytes, job.spec.reuse_processes};
    auto renewed = Clock::now();
    auto heartbeat = [&](size_t running, Clock::duration running_for) {
      if (Clock::now() - renewed >= options_.lease / 3) {
        for (Task* task : runnable) {
          coordinator_->Renew(queue_, task->lease, options_.lease);
        }
        renewed = Clock::now();
        if (Cancelled(job.spec.id, true)) return Verdict::kCancelAll;
      }
      return Speculate(job, *runnable[running], running_for);
    };
    auto tick =
        std::min(std::max(options_.lease / 3, Millis(1)), kSpeculationTick);
    std::vector<Outcome> outcomes = host_.Run(job.spec.function, job.extra,
                                              inputs, limits, heartbeat, tick);
    RecordRunTimes(job.spec.id, outcomes);
    return outcomes;
  }

  // Speculative execution of stragglers. An attempt running longer than
  // job.speculation times the median run time of the job's tasks this worker
  // finished gets one backup: a copy of its message, which another worker
  // leases. From then on (and in the backup itself) the heartbeat looks for
  // the task's record now and then; once either attempt has committed, the
  // other is stopped. The first commit wins, as for any duplicate.
  Verdict Speculate(const Job& job, Task& task, Clock::duration running_for) {
    if (job.spec.speculation <= 0) return Verdict::kContinue;
    if (!task.backed_up && !task.message.backup) {
      const std::vector<Clock::duration>& history = run_times_[job.spec.id];
      if (history.size() < kMinSamples) return Verdict::kContinue;
      auto median = Median(history);
      auto threshold = std::chrono::duration_cast<Clock::duration>(
          median * job.spec.speculation);
      if (running_for < std::max<Clock::duration>(threshold, kMinStraggler)) {
        return Verdict::kContinue;
      }
      // The lease still holds the whole message (its input was moved on).
      auto backup = Decode<TaskMessage>(task.lease.body, "task message");
      backup.backup = true;
      coordinator_->Enqueue(queue_, {Encode(backup)});
      coordinator_->Add(JobKey(job.spec.id, "backups"), 1);
      task.backed_up = true;
    }
    auto now = Clock::now();
    if (now - task.last_check < kSpeculationCheck) return Verdict::kContinue;
    task.last_check = now;
    bool won =
        coordinator_->Get(TaskKey(job.spec.id, task.message.index)).has_value();
    return won ? Verdict::kAbandonTask : Verdict::kContinue;
  }

  void RecordRunTimes(const std::string& job,
                      const std::vector<Outcome>& outcomes) {
    std::vector<Clock::duration>& history = run_times_[job];
    for (const Outcome& outcome : outcomes) {
      if (outcome.cancelled || !outcome.ok) continue;
      if (history.size() >= kMaxSamples) history.erase(history.begin());
      history.push_back(
          std::chrono::microseconds(outcome.finished_us - outcome.started_us));
    }
  }

  static Clock::duration Median(std::vector<Clock::duration> values) {
    std::nth_element(values.begin(), values.begin() + values.size() / 2,
                     values.end());
    return values[values.size() / 2];
  }

  TaskRecord ToRecord(const Job& job, const Task& task, Outcome& outcome,
                      uint64_t input_bytes) {
    TaskRecord record = NewRecord(task);
    record.ok = outcome.ok;
    record.failure_kind = static_cast<int>(outcome.kind);
    record.error_type = std::move(outcome.type);
    record.error_message = std::move(outcome.message);
    record.started_us =
        outcome.started_us ? outcome.started_us : record.started_us;
    record.finished_us = outcome.finished_us;
    record.input_bytes = input_bytes;
    record.output_bytes = outcome.payload.size();
    uint64_t index = task.message.index;
    try {
      if (outcome.payload.size() > job.spec.inline_limit_bytes) {
        record.result_key =
            AttemptKey(job.spec.id, "out", index, record.attempt, token_);
        store_->Put(record.result_key, outcome.payload);
      } else {
        record.result = std::move(outcome.payload);
      }
      if (outcome.log.size() > kInlineLogBytes) {
        record.log_key =
            AttemptKey(job.spec.id, "log", index, record.attempt, token_);
        store_->Put(record.log_key, outcome.log);
      } else {
        record.log = std::move(outcome.log);
      }
    } catch (const Error& e) {
      // The store refused the output (full, unreachable): the
      // infrastructure's failure, retried by DecideRetry, then reported.
      if (!record.result_key.empty()) store_->Delete(record.result_key);
      return Failure(
          task, FailureKind::kInfrastructure,
          std::string("cannot store the task's output: ") + e.what());
    }
    return record;
  }

  // Commits records; a losing attempt's objects are removed again.
  void Commit(const std::string& job, const std::vector<TaskRecord>& records,
              const std::vector<const Task*>& owners) {
    if (records.empty()) return;
    std::vector<tern::Commit> commits;
    commits.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      commits.push_back(tern::Commit{TaskKey(job, records[i].index),
                                     Encode(records[i]), JobKey(job, "events"),
                                     queue_, owners[i]->lease.id});
    }
    std::vector<bool> won = coordinator_->CommitResults(commits);
    int64_t discarded = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      if (won[i]) continue;
      ++discarded;
      if (!records[i].result_key.empty()) store_->Delete(records[i].result_key);
      if (!records[i].log_key.empty()) store_->Delete(records[i].log_key);
    }
    // Counted for the job's statistics: how many duplicate attempts lost.
    if (discarded > 0) coordinator_->Add(JobKey(job, "discarded"), discarded);
  }

  ExecutorOptions options_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::string queue_;
  std::string name_;
  std::string token_ = RandomHex(16);  // names this worker in object keys
  StoredResultReader reader_;
  TaskHost host_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, std::vector<Clock::duration>> run_times_;
  std::set<const Task*> retried_;  // of the batch in hand
  std::map<std::string, std::pair<Clock::time_point, bool>> cancel_checks_;
  int batch_size_ = 1;
};

}  // namespace

int RunWorker() {
  ExecutorOptions options = LoadOptions();
  Worker worker(options);
  return worker.Run();
}

}  // namespace tern::internal
