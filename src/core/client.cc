#include "core/client.h"

#include <unistd.h>

#include <filesystem>

#include "core/retry_policy.h"
#include "core/runtime.h"
#include "core/runtime_bundle.h"
#include "core/wait.h"
#include "tern/errors.h"
#include "tern/executor.h"
#include "util/random_id.h"

namespace tern::internal {
namespace {

constexpr int kEventBatch = 4096;
constexpr size_t kEnqueueChunk = 8192;
constexpr auto kMonitorInterval = std::chrono::milliseconds(50);

std::string NewJobId() {
  char text[32];
  time_t now = time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  strftime(text, sizeof text, "%Y%m%d-%H%M%S-", &utc);
  return text + RandomHex(6);
}

}  // namespace

ExecutorOptions ResolveOptions(ExecutorOptions options) {
  if (options.store.empty() || options.coordinator.empty()) {
    std::string home = TernHome();
    std::error_code error;
    std::filesystem::create_directories(home + "/store", error);
    if (error) {
      throw Error(ErrorCode::kIOError, "cannot create tern's home directory " +
                                           home + ": " + error.message());
    }
    if (options.store.empty()) options.store = "file://" + home + "/store";
    if (options.coordinator.empty()) {
      options.coordinator = "sqlite://" + home + "/coordinator.db";
    }
  }
  if (options.workers <= 0) {
    options.workers =
        std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  }
  auto check = [](bool ok, const std::string& what) {
    if (!ok)
      throw Error(ErrorCode::kInvalidArgument, "invalid option: " + what);
  };
  check(options.max_attempts >= 1, "max_attempts must be at least 1");
  check(options.lease.count() >= 10, "lease must be at least 10ms");
  check(options.task_timeout.count() >= 0, "task_timeout must not be negative");
  check(options.worker_idle.count() >= 0, "worker_idle must not be negative");
  check(options.backend == "local" || options.backend == "agents",
        "backend must be local or agents");
  check(options.progress == "auto" || options.progress == "always" ||
            options.progress == "never",
        "progress must be auto, always or never");
  return options;
}

// ---- Client

Client::Client(ExecutorOptions options)
    : options_(ResolveOptions(std::move(options))),
      store_(ObjectStore::Open(options_.store)),
      coordinator_(Coordinator::Open(options_.coordinator)),
      queue_(QueueName(RuntimeHash())),
      backend_(ExecutablePath(), SavedArgv(), WorkerEnvironment(options_),
               options_.backend == "local" ? options_.workers : 0) {
  SetProgressMode(options_.progress);
  if (options_.backend == "agents") UploadRuntime(*store_);
  monitor_ = std::thread([this] { Monitor(); });
}

Client::~Client() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  monitor_.join();
}

void Client::Enqueue(const std::vector<std::string>& bodies) {
  for (size_t begin = 0; begin < bodies.size(); begin += kEnqueueChunk) {
    size_t end = std::min(bodies.size(), begin + kEnqueueChunk);
    coordinator_->Enqueue(
        queue_,
        std::vector<std::string>(bodies.begin() + begin, bodies.begin() + end));
    if (begin == 0) backend_.Ensure(static_cast<int64_t>(bodies.size()));
  }
  backend_.Ensure(coordinator_->QueueLength(queue_));
}

void Client::Track(int delta) {
  {
    std::lock_guard lock(mutex_);
    unfinished_jobs_ += delta;
  }
  wake_.notify_all();
}

std::unique_ptr<Coordinator> Client::BorrowConnection() {
  {
    std::lock_guard lock(mutex_);
    if (!spare_connections_.empty()) {
      std::unique_ptr<Coordinator> connection =
          std::move(spare_connections_.back());
      spare_connections_.pop_back();
      return connection;
    }
  }
  return Coordinator::Open(options_.coordinator);
}

void Client::ReturnConnection(std::unique_ptr<Coordinator> connection) {
  std::lock_guard lock(mutex_);
  spare_connections_.push_back(std::move(connection));
}

// While jobs are unfinished, keeps enough workers alive: replaces dead ones and
// restarts workers that went idle just before more tasks arrived.
void Client::Monitor() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (unfinished_jobs_ == 0) {
      wake_.wait(lock);
      continue;
    }
    lock.unlock();
    try {
      backend_.Ensure(coordinator_->QueueLength(queue_));
    } catch (const Error& e) {
      std::fprintf(stderr, "tern: %s\n", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, kMonitorInterval);
  }
}

// ---- JobHandleImpl

JobHandleImpl::JobHandleImpl(std::shared_ptr<Client> client, std::string id,
                             uint64_t size)
    : client_(std::move(client)),
      id_(std::move(id)),
      size_(size),
      records_(size) {
  client_->Track(+1);
  watcher_ = std::thread([this] { Watch(); });
}

JobHandleImpl::~JobHandleImpl() {
  stop_ = true;
  watcher_.join();
}

// Follows the job's event stream until every task has a record. A failing
// coordinator (a restarted server, a network blip) is ridden out with
// backoff, on a fresh connection, as workers do; nothing is lost meanwhile,
// as the stream keeps every event.
void JobHandleImpl::Watch() {
  std::unique_ptr<Coordinator> coordinator;
  uint64_t after = 0;
  int failures = 0;
  while (!stop_) {
    {
      std::lock_guard lock(mutex_);
      if (finished_ == size_ || cancelled_) break;
    }
    try {
      if (!coordinator) coordinator = client_->BorrowConnection();
      std::vector<Event> events =
          coordinator->Read(JobKey(id_, "events"), after, kEventBatch,
                            std::chrono::milliseconds(200));
      failures = 0;
      if (events.empty()) continue;
      after = events.back().seq;
      Deliver(events);
    } catch (const Error& e) {
      coordinator.reset();
      auto backoff = Backoff(++failures);
      std::fprintf(stderr, "tern: following job %s: %s; retrying in %lld ms\n",
                   id_.c_str(), e.what(),
                   static_cast<long long>(backoff.count()));
      std::this_thread::sleep_for(backoff);
    }
  }
  if (coordinator) client_->ReturnConnection(std::move(coordinator));
  client_->Track(-1);
}

void JobHandleImpl::Deliver(std::vector<Event>& events) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    for (Event& event : events) {
      auto record = Decode<TaskRecord>(event.data, "task record");
      if (record.index >= size_ || records_[record.index]) continue;
      records_[record.index] = std::move(record);
      ++finished_;
    }
    if (finished_ == size_) hook = std::move(on_complete_);
  }
  changed_.notify_all();
  NotifyTaskFinished();
  if (hook) hook();
}

void JobHandleImpl::OnComplete(std::function<void()> hook) {
  {
    std::lock_guard lock(mutex_);
    if (finished_ != size_) {
      on_complete_ = std::move(hook);
      return;
    }
  }
  hook();
}

void JobHandleImpl::CheckIndex(uint64_t index) const {
  if (index >= size_) {
    throw Error(ErrorCode::kInvalidArgument,
                "job " + id_ + " has no task " + std::to_string(index));
  }
}

std::optional<TaskRecord> JobHandleImpl::RecordOf(uint64_t index) {
  CheckIndex(index);
  std::lock_guard lock(mutex_);
  return records_[index];
}

TaskState JobHandleImpl::State(uint64_t index) {
  CheckIndex(index);
  std::lock_guard lock(mutex_);
  const std::optional<TaskRecord>& record = records_[index];
  if (!record) return cancelled_ ? TaskState::kCancelled : TaskState::kPending;
  return record->ok ? TaskState::kSucceeded : TaskState::kFailed;
}

std::string JobHandleImpl::ResultBytes(uint64_t index) {
  CheckIndex(index);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return records_[index] || cancelled_; });
  if (!records_[index]) {
    throw Error(ErrorCode::kCancelled, "task " + std::to_string(index) +
                                           " of job " + id_ + " was cancelled");
  }
  TaskRecord record = *records_[index];
  lock.unlock();
  return ResultBytesOf(record, client_->store());
}

std::string JobHandleImpl::Log(uint64_t index) {
  std::optional<TaskRecord> record = RecordOf(index);
  return record ? LogOf(*record, client_->store()) : "";
}

TaskInfo JobHandleImpl::Info(uint64_t index) {
  std::optional<TaskRecord> record = RecordOf(index);
  TaskInfo info;
  info.index = index;
  if (!record) return info;
  return TaskInfo{index,
                  record->attempt,
                  record->worker,
                  record->enqueued_us,
                  record->started_us,
                  record->finished_us,
                  record->input_bytes,
                  record->output_bytes};
}

void JobHandleImpl::Cancel() {
  client_->coordinator().Put(JobKey(id_, "cancelled"),
                             std::to_string(NowMicros()));
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  NotifyTaskFinished();
}

// ---- ExecutorImpl

class ExecutorImpl {
 public:
  explicit ExecutorImpl(ExecutorOptions options)
      : client_(std::make_shared<Client>(std::move(options))) {}

  std::shared_ptr<JobHandleImpl> Submit(JobSpec spec,
                                        std::vector<std::string> inputs) {
    StoredJob job = Store(std::move(spec), inputs.size());
    std::vector<std::string> bodies;
    bodies.reserve(inputs.size());
    int64_t now = NowMicros();
    for (uint64_t i = 0; i < inputs.size(); ++i) {
      TaskMessage message{job.id, i, {}, {}, now};
      if (inputs[i].size() > job.inline_limit_bytes) {
        message.input_key = JobKey(job.id, "in/" + std::to_string(i));
        client_->store().Put(message.input_key, inputs[i]);
      } else {
        message.input = std::move(inputs[i]);
      }
      bodies.push_back(Encode(message));
    }
    auto handle = Follow(job.id, inputs.size());
    client_->Enqueue(bodies);
    return handle;
  }

  std::shared_ptr<JobHandleImpl> SubmitReduce(JobSpec spec,
                                              const std::string& map_job,
                                              uint64_t map_tasks) {
    std::shared_ptr<JobHandleImpl> maps = Find(map_job);
    StoredJob job = Store(std::move(spec), 1);
    auto handle = Follow(job.id, 1);
    TaskMessage message{
        job.id, 0, Encode(std::pair{map_job, map_tasks}), {}, 0};
    // The reducer is enqueued once every map task has a record. The hook holds
    // the client, not the handles, so that no handle outlives its own thread.
    std::shared_ptr<Client> client = client_;
    maps->OnComplete([client, message]() mutable {
      message.enqueued_us = NowMicros();
      client->Enqueue({Encode(message)});
    });
    reduce_inputs_.push_back(maps);
    return handle;
  }

  void Cancel(const std::string& job_id) {
    std::shared_ptr<JobHandleImpl> handle = Find(job_id);
    handle->Cancel();
  }

  const ExecutorOptions& options() const { return client_->options(); }

 private:
  StoredJob Store(JobSpec spec, uint64_t tasks) {
    const ExecutorOptions& options = client_->options();
    StoredJob job;
    job.id = NewJobId();
    job.kind = spec.kind;
    job.runtime = RuntimeHash();
    job.function = std::move(spec.function);
    job.tasks = tasks;
    job.task_timeout_ms = options.task_timeout.count();
    job.memory_limit_bytes = options.memory_limit_bytes;
    job.max_attempts = options.max_attempts;
    job.reuse_processes = options.reuse_processes;
    job.inline_limit_bytes = options.inline_limit_bytes;
    job.speculation = options.speculation;
    job.created_us = NowMicros();
    if (spec.extra.size() > options.inline_limit_bytes) {
      job.extra_key = JobKey(job.id, "extra");
      client_->store().Put(job.extra_key, spec.extra);
    } else {
      job.extra = std::move(spec.extra);
    }
    client_->coordinator().Put(JobKey(job.id, "spec"), Encode(job));
    client_->coordinator().Put("active/" + job.id, job.kind);
    return job;
  }

  std::shared_ptr<JobHandleImpl> Follow(const std::string& id, uint64_t size) {
    auto handle = std::make_shared<JobHandleImpl>(client_, id, size);
    std::lock_guard lock(mutex_);
    std::erase_if(jobs_,
                  [](const auto& entry) { return entry.second.expired(); });
    jobs_[id] = handle;
    return handle;
  }

  std::shared_ptr<JobHandleImpl> Find(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto found = jobs_.find(id);
    std::shared_ptr<JobHandleImpl> handle =
        found == jobs_.end() ? nullptr : found->second.lock();
    if (!handle) {
      throw Error(ErrorCode::kNotFound,
                  "job " + id + " is not followed by this executor");
    }
    return handle;
  }

  std::shared_ptr<Client> client_;
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<JobHandleImpl>> jobs_;
  // Map jobs whose reducers are pending: kept so their hooks stay armed.
  std::vector<std::shared_ptr<JobHandleImpl>> reduce_inputs_;
};

}  // namespace tern::internal

namespace tern {

Executor Executor::FromConfig() { return Executor(LoadOptions()); }

Executor::Executor(ExecutorOptions options) {
  if (!internal::Initialized()) {
    throw Error(ErrorCode::kInvalidArgument,
                "call tern::Init(argc, argv) at the start of main() before "
                "creating an Executor: workers re-run this binary and need it");
  }
  impl_ = std::make_unique<internal::ExecutorImpl>(std::move(options));
}

Executor::Executor(Executor&&) noexcept = default;
Executor& Executor::operator=(Executor&&) noexcept = default;
Executor::~Executor() = default;

std::shared_ptr<internal::JobHandle> Executor::Submit(
    internal::JobSpec spec, std::vector<std::string> inputs) {
  return impl_->Submit(std::move(spec), std::move(inputs));
}

std::shared_ptr<internal::JobHandle> Executor::SubmitReduce(
    internal::JobSpec spec, const std::string& map_job, uint64_t map_tasks) {
  return impl_->SubmitReduce(std::move(spec), map_job, map_tasks);
}

void Executor::Cancel(const std::string& job_id) { impl_->Cancel(job_id); }

const ExecutorOptions& Executor::options() const { return impl_->options(); }

std::vector<double> Linspace(double start, double stop, size_t n) {
  std::vector<double> values(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = n == 1 ? start : start + (stop - start) * i / (n - 1);
  }
  return values;
}

}  // namespace tern
