// The mem:// Coordinator: state in this process's memory, shared by every
// coordinator opened with the same name. It has the sqlite:// semantics
// (Lease() hands out messages in the order they became visible) so tests and
// local runs behave as deployments do. A named state lives until the process
// exits, so reopening a name finds what was left there, as with a file.
#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "coord/coordinators.h"
#include "tern/errors.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;

struct Message {
  std::string body;
  int delivery = 0;  // times leased so far
  Clock::time_point visible_at;
};

struct Queue {
  std::map<uint64_t, Message> messages;  // by id
  // (visible_at, id) of every message: the oldest visible one comes first.
  std::set<std::pair<Clock::time_point, uint64_t>> by_visible;
};

struct State {
  std::mutex mu;
  std::condition_variable enqueued;  // signalled after Enqueue()
  std::condition_variable appended;  // signalled after an append
  // Everything below is guarded by mu.
  uint64_t next_id = 1;  // ids are never reused, even across queues
  std::map<std::string, Queue> queues;
  std::map<std::string, std::string> records;
  std::map<std::string, int64_t> counters;
  // The tokens AddOnce() has added to each counter.
  std::map<std::string, std::set<std::string>> once_tokens;
  std::map<std::string, std::vector<std::string>> streams;  // seq = index + 1
};

std::shared_ptr<State> StateNamed(const std::string& name) {
  static std::mutex mu;
  // Never destroyed, so a coordinator may outlive main() safely.
  static auto* states = new std::map<std::string, std::shared_ptr<State>>;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<State>& state = (*states)[name];
  if (!state) state = std::make_shared<State>();
  return state;
}

template <typename Value>
void ErasePrefix(std::map<std::string, Value>* map, const std::string& prefix) {
  auto it = map->lower_bound(prefix);
  while (it != map->end() && it->first.starts_with(prefix)) {
    it = map->erase(it);
  }
}

class MemCoordinator final : public Coordinator {
 public:
  MemCoordinator(std::string uri, std::shared_ptr<State> state)
      : uri_(std::move(uri)), state_(std::move(state)) {}

  std::vector<std::string> Enqueue(
      const std::string& queue,
      const std::vector<std::string>& bodies) override;
  std::vector<LeasedMessage> Lease(const std::string& queue, int max,
                                   Millis lease, Millis wait) override;
  bool Renew(const std::string& queue, const LeasedMessage& message,
             Millis lease) override;
  void Ack(const std::string& queue,
           const std::vector<std::string>& message_ids) override;
  int64_t QueueLength(const std::string& queue) override;

  void Put(const std::string& key, const std::string& value) override;
  bool PutIfAbsent(const std::string& key, const std::string& value) override;
  std::optional<std::string> Get(const std::string& key) override;
  std::vector<std::string> ListKeys(const std::string& prefix) override;
  void DeletePrefix(const std::string& prefix) override;

  int64_t Add(const std::string& counter, int64_t delta) override;
  std::vector<OnceAddResult> AddOnce(const std::vector<OnceAdd>& adds) override;

  uint64_t Append(const std::string& stream,
                  const std::vector<std::string>& events) override;
  std::vector<Event> Read(const std::string& stream, uint64_t after, int max,
                          Millis wait) override;

  std::vector<bool> CommitResults(const std::vector<Commit>& commits) override;

  std::string Uri() const override { return uri_; }

 private:
  // REQUIRES: state_->mu held.
  std::vector<LeasedMessage> TryLease(Queue* queue, int max, Millis lease);
  Message* Find(const std::string& queue, const std::string& id,
                uint64_t* number);
  void AckOne(const std::string& queue, const std::string& id);

  const std::string uri_;
  const std::shared_ptr<State> state_;
};

std::vector<std::string> MemCoordinator::Enqueue(
    const std::string& queue, const std::vector<std::string>& bodies) {
  std::vector<std::string> ids;
  ids.reserve(bodies.size());
  Clock::time_point now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    Queue& q = state_->queues[queue];
    for (const std::string& body : bodies) {
      uint64_t id = state_->next_id++;
      q.messages.emplace(id, Message{body, 0, now});
      q.by_visible.emplace(now, id);
      ids.push_back(std::to_string(id));
    }
  }
  state_->enqueued.notify_all();
  return ids;
}

std::vector<LeasedMessage> MemCoordinator::TryLease(Queue* queue, int max,
                                                    Millis lease) {
  std::vector<LeasedMessage> leased;
  Clock::time_point now = Clock::now();
  while (static_cast<int>(leased.size()) < max && !queue->by_visible.empty() &&
         queue->by_visible.begin()->first <= now) {
    uint64_t id = queue->by_visible.begin()->second;
    queue->by_visible.erase(queue->by_visible.begin());
    Message& message = queue->messages.at(id);
    message.delivery++;
    message.visible_at = now + lease;
    queue->by_visible.emplace(message.visible_at, id);
    leased.push_back(
        LeasedMessage{std::to_string(id), message.body, message.delivery});
  }
  return leased;
}

std::vector<LeasedMessage> MemCoordinator::Lease(const std::string& queue,
                                                 int max, Millis lease,
                                                 Millis wait) {
  Clock::time_point deadline = Clock::now() + wait;
  std::unique_lock<std::mutex> lock(state_->mu);
  for (;;) {
    Queue& q = state_->queues[queue];
    std::vector<LeasedMessage> leased = TryLease(&q, max, lease);
    if (!leased.empty() || max <= 0 || Clock::now() >= deadline) {
      return leased;
    }
    // Also wake when the earliest outstanding lease expires.
    Clock::time_point until = deadline;
    if (!q.by_visible.empty()) {
      until = std::min(until, q.by_visible.begin()->first);
    }
    state_->enqueued.wait_until(lock, until);
  }
}

Message* MemCoordinator::Find(const std::string& queue, const std::string& id,
                              uint64_t* number) {
  const char* end = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(id.data(), end, *number);
  if (ec != std::errc() || ptr != end) return nullptr;
  auto q = state_->queues.find(queue);
  if (q == state_->queues.end()) return nullptr;
  auto it = q->second.messages.find(*number);
  return it == q->second.messages.end() ? nullptr : &it->second;
}

bool MemCoordinator::Renew(const std::string& queue,
                           const LeasedMessage& message, Millis lease) {
  std::lock_guard<std::mutex> lock(state_->mu);
  uint64_t id;
  Message* found = Find(queue, message.id, &id);
  if (found == nullptr || found->delivery != message.delivery) return false;
  Queue& q = state_->queues.at(queue);
  q.by_visible.erase({found->visible_at, id});
  found->visible_at = Clock::now() + lease;
  q.by_visible.emplace(found->visible_at, id);
  return true;
}

void MemCoordinator::AckOne(const std::string& queue, const std::string& id) {
  uint64_t number;
  Message* found = Find(queue, id, &number);
  if (found == nullptr) return;
  Queue& q = state_->queues.at(queue);
  q.by_visible.erase({found->visible_at, number});
  q.messages.erase(number);
}

void MemCoordinator::Ack(const std::string& queue,
                         const std::vector<std::string>& message_ids) {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const std::string& id : message_ids) AckOne(queue, id);
}

int64_t MemCoordinator::QueueLength(const std::string& queue) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->queues.find(queue);
  return it == state_->queues.end() ? 0 : it->second.messages.size();
}

void MemCoordinator::Put(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->records[key] = value;
}

bool MemCoordinator::PutIfAbsent(const std::string& key,
                                 const std::string& value) {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->records.emplace(key, value).second;
}

std::optional<std::string> MemCoordinator::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->records.find(key);
  if (it == state_->records.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MemCoordinator::ListKeys(const std::string& prefix) {
  std::vector<std::string> keys;
  std::lock_guard<std::mutex> lock(state_->mu);
  for (auto it = state_->records.lower_bound(prefix);
       it != state_->records.end() && it->first.starts_with(prefix); ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

void MemCoordinator::DeletePrefix(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ErasePrefix(&state_->records, prefix);
  ErasePrefix(&state_->counters, prefix);
  ErasePrefix(&state_->once_tokens, prefix);
  ErasePrefix(&state_->streams, prefix);
  ErasePrefix(&state_->queues, prefix);
}

int64_t MemCoordinator::Add(const std::string& counter, int64_t delta) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (delta == 0) {
    auto it = state_->counters.find(counter);
    return it == state_->counters.end() ? 0 : it->second;
  }
  return state_->counters[counter] += delta;
}

std::vector<OnceAddResult> MemCoordinator::AddOnce(
    const std::vector<OnceAdd>& adds) {
  std::vector<OnceAddResult> results;
  results.reserve(adds.size());
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const OnceAdd& add : adds) {
    bool added = state_->once_tokens[add.counter].insert(add.token).second;
    int64_t& value = state_->counters[add.counter];
    if (added) value += add.delta;
    results.push_back(OnceAddResult{value, added});
  }
  return results;
}

uint64_t MemCoordinator::Append(const std::string& stream,
                                const std::vector<std::string>& events) {
  uint64_t last;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    std::vector<std::string>& log = state_->streams[stream];
    log.insert(log.end(), events.begin(), events.end());
    last = log.size();
  }
  state_->appended.notify_all();
  return last;
}

std::vector<Event> MemCoordinator::Read(const std::string& stream,
                                        uint64_t after, int max, Millis wait) {
  std::vector<Event> events;
  if (max <= 0) return events;
  std::unique_lock<std::mutex> lock(state_->mu);
  const std::vector<std::string>* log = nullptr;
  auto ready = [&] {
    auto it = state_->streams.find(stream);
    log = it == state_->streams.end() ? nullptr : &it->second;
    return log != nullptr && log->size() > after;
  };
  if (!state_->appended.wait_for(lock, wait, ready)) return events;
  uint64_t end = std::min<uint64_t>(log->size(), after + max);
  for (uint64_t seq = after + 1; seq <= end; ++seq) {
    events.push_back(Event{seq, (*log)[seq - 1]});
  }
  return events;
}

std::vector<bool> MemCoordinator::CommitResults(
    const std::vector<Commit>& commits) {
  std::vector<bool> won(commits.size(), false);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (size_t i = 0; i < commits.size(); ++i) {
      const Commit& commit = commits[i];
      won[i] = state_->records.emplace(commit.key, commit.value).second;
      if (won[i] && !commit.stream.empty()) {
        state_->streams[commit.stream].push_back(commit.value);
      }
      if (!commit.queue.empty()) AckOne(commit.queue, commit.message_id);
    }
  }
  state_->appended.notify_all();
  return won;
}

}  // namespace

std::unique_ptr<Coordinator> OpenMemCoordinator(const Uri& uri) {
  std::string name = uri.authority + uri.path;
  if (uri.authority.empty()) {
    throw Error(
        ErrorCode::kInvalidArgument,
        "bad mem coordinator URI 'mem://" + name + "': expected mem://name");
  }
  if (!uri.query.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "unknown parameter '" + uri.query.begin()->first +
                    "' in coordinator URI 'mem://" + name + "'");
  }
  return std::make_unique<MemCoordinator>("mem://" + name, StateNamed(name));
}

}  // namespace tern
