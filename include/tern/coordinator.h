// Coordinator: the small, hot, shared state of every tern deployment.
//
// It holds what must be atomic and fast: task queues with leases, key-value
// records with put-if-absent (the commit point of a task), atomic counters, and
// append-only event streams that clients block on. Bulk bytes live in the
// ObjectStore instead. No tern process keeps job state anywhere else, so any
// worker (or the client) may die at any moment and another can carry on.
//
// Every implementation is thread-safe; the shared ones (sqlite://, redis://)
// are also safe for any number of processes at once.
//
// Open() picks the implementation from the URI's scheme:
//   sqlite:///abs/path/file.db   an SQLite database file (WAL mode); the
//                                directory must exist, the file is created
//   mem://name                   process-local memory; coordinators with the
//                                same name share state within one process
//   redis://[user[:password]@]host:port[/db]?prefix=name/&timeout=5s
//                                a Redis 7 server; prefix keeps deployments
//                                (users) on one server apart
//
// Names of queues, keys, counters and streams are non-empty strings; each kind
// lives in its own namespace.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern {

using Millis = std::chrono::milliseconds;

// A queue message handed out by Lease(). Keep it to Renew() or Ack().
struct LeasedMessage {
  std::string id;    // unique within its queue, fixed at Enqueue()
  std::string body;  // as given to Enqueue()
  int delivery = 1;  // 1 on the first lease; +1 each time it is leased again
};

// One event of a stream; seq numbers start at 1 and increase by 1.
struct Event {
  uint64_t seq = 0;
  std::string data;
};

// The outcome of one task, committed by CommitResults().
struct Commit {
  std::string key;     // record key; the first commit to a key wins
  std::string value;   // the record
  std::string stream;  // if this commit wins, value is appended here
  std::string queue;   // then message_id is acked in queue (if not empty)
  std::string message_id;
};

// One exactly-once increment: add delta to counter unless this token was
// already added to it.
struct OnceAdd {
  std::string counter;
  std::string token;
  int64_t delta = 1;
};

// What AddOnce() did with one OnceAdd.
struct OnceAddResult {
  int64_t value = 0;   // the counter after this call
  bool added = false;  // false: the token had been added before (a replay)
};

class Coordinator {
 public:
  // Opens the coordinator named by uri.
  // Throws Error(kInvalidArgument) for a malformed URI or unknown scheme,
  // Error(kNotFound) when the sqlite directory does not exist,
  // Error(kUnavailable) when a server cannot be reached.
  static std::unique_ptr<Coordinator> Open(const std::string& uri);

  Coordinator() = default;
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;
  virtual ~Coordinator() = default;

  // ---- Queues: at-least-once delivery with leases.

  // Appends bodies to queue, in order, atomically (all or none). Returns their
  // ids.
  virtual std::vector<std::string> Enqueue(
      const std::string& queue, const std::vector<std::string>& bodies) = 0;

  // Hands out up to max visible messages, oldest first, each invisible to other
  // Lease() calls for `lease`. A message whose lease expires without Ack()
  // becomes visible again with delivery + 1. Blocks up to `wait` for at least
  // one message; returns an empty vector if none arrived.
  virtual std::vector<LeasedMessage> Lease(const std::string& queue, int max,
                                           Millis lease, Millis wait) = 0;

  // Extends the lease of message to `lease` from now. Returns false if the
  // lease was lost (it expired and the message was leased again, or was acked).
  virtual bool Renew(const std::string& queue, const LeasedMessage& message,
                     Millis lease) = 0;

  // Removes messages from queue for good. Unknown ids are ignored.
  virtual void Ack(const std::string& queue,
                   const std::vector<std::string>& message_ids) = 0;

  // Number of messages in queue, leased or not (those not yet acked).
  virtual int64_t QueueLength(const std::string& queue) = 0;

  // ---- Records: a key-value map.

  virtual void Put(const std::string& key, const std::string& value) = 0;
  // Stores value only if key is absent. Returns true if it stored it.
  virtual bool PutIfAbsent(const std::string& key,
                           const std::string& value) = 0;
  // Returns the value, or std::nullopt if key is absent.
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  // Returns every record key that starts with prefix, sorted.
  virtual std::vector<std::string> ListKeys(const std::string& prefix) = 0;
  // Removes every record, counter (with its AddOnce() tokens), stream and
  // queue whose name starts with prefix.
  virtual void DeletePrefix(const std::string& prefix) = 0;

  // ---- Counters: atomic 64-bit integers, 0 until first added to.

  // Adds delta to counter and returns the new value. Add(name, 0) reads it.
  virtual int64_t Add(const std::string& counter, int64_t delta) = 0;

  // For each add, atomically: if token was never added to counter, remember it
  // and add delta. The whole batch is atomic and one round trip; adds apply in
  // order, so a token repeated within the batch counts once. A replayed call
  // (same counter and token) never counts twice, so a task that dies after
  // this call and runs again cannot double count. The counters are those of
  // Add(); each remembers its tokens until DeletePrefix() removes both.
  // A replay does not compare deltas: the first delta for a token stands.
  virtual std::vector<OnceAddResult> AddOnce(
      const std::vector<OnceAdd>& adds) = 0;

  // ---- Event streams: append-only logs that readers block on.

  // Appends events to stream atomically; returns the seq of the last one.
  virtual uint64_t Append(const std::string& stream,
                          const std::vector<std::string>& events) = 0;

  // Returns up to max events with seq > after, in order. Blocks up to `wait`
  // until at least one exists; returns an empty vector if none arrived.
  virtual std::vector<Event> Read(const std::string& stream, uint64_t after,
                                  int max, Millis wait) = 0;

  // ---- Commit: the one compound operation tern's worker loop needs.

  // For each commit, atomically: if commit.key is absent, store value and
  // append it to commit.stream; either way ack commit.message_id. Returns, per
  // commit, whether it won (stored its value). The whole batch is one round
  // trip.
  virtual std::vector<bool> CommitResults(
      const std::vector<Commit>& commits) = 0;

  // The URI this coordinator was opened with (secrets masked).
  virtual std::string Uri() const = 0;
};

}  // namespace tern
