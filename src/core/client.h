// The client side of tern: submitting jobs and following them.
//
// Client holds what an Executor and its job handles share: the resolved
// options, the stores, and the local backend that starts workers. A JobHandle
// follows one job's event stream on a thread of its own (with a coordinator
// connection of its own, as its reads block) and wakes waiters as tasks finish.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compute/local_backend.h"
#include "core/records.h"
#include "tern/coordinator.h"
#include "tern/future.h"
#include "tern/object_store.h"
#include "tern/options.h"

namespace tern::internal {

// Fills in defaults (stores under tern's home, one worker per core) and checks
// the options. Throws Error(kInvalidArgument) naming a bad option.
ExecutorOptions ResolveOptions(ExecutorOptions options);

class Client {
 public:
  explicit Client(ExecutorOptions options);
  ~Client();

  const ExecutorOptions& options() const { return options_; }
  ObjectStore& store() { return *store_; }
  Coordinator& coordinator() { return *coordinator_; }
  // Enqueues task messages of a stored job and starts workers for them.
  void Enqueue(const std::vector<std::string>& bodies);
  // Starts workers while tasks are pending; stops when no job is unfinished.
  void Track(int delta_unfinished_jobs);
  // A coordinator connection of the caller's own, for reads that block; give
  // it back for reuse, as opening one costs more than a task's round trip.
  std::unique_ptr<Coordinator> BorrowConnection();
  void ReturnConnection(std::unique_ptr<Coordinator> connection);

 private:
  void Monitor();

  ExecutorOptions options_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::string queue_;
  LocalBackend backend_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int unfinished_jobs_ = 0;
  std::vector<std::unique_ptr<Coordinator>> spare_connections_;
  bool stopping_ = false;
  std::thread monitor_;
};

class JobHandleImpl : public JobHandle {
 public:
  JobHandleImpl(std::shared_ptr<Client> client, std::string id, uint64_t size);
  ~JobHandleImpl() override;

  const std::string& id() const override { return id_; }
  uint64_t size() const override { return size_; }
  TaskState State(uint64_t index) override;
  std::string ResultBytes(uint64_t index) override;
  std::string Log(uint64_t index) override;
  TaskInfo Info(uint64_t index) override;
  void Cancel() override;

  // Runs hook once every task has a record (at once if they already do).
  void OnComplete(std::function<void()> hook);

 private:
  void Watch();
  void Deliver(std::vector<Event>& events);
  void CheckIndex(uint64_t index) const;
  std::optional<TaskRecord> RecordOf(uint64_t index);

  std::shared_ptr<Client> client_;
  std::string id_;
  uint64_t size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<TaskRecord>> records_;
  uint64_t finished_ = 0;
  bool cancelled_ = false;
  std::function<void()> on_complete_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace tern::internal
