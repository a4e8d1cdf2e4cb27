// The redis:// Coordinator: state on one Redis server (6.0 or later), shared
// by any number of threads, processes and hosts.
//
// Every key starts with the URI's prefix P, then a one-letter kind and ':':
//   P r:KEY         string: a record (SET NX is PutIfAbsent)
//   P keys          sorted set of every record KEY, all with score 0, so that
//                   ListKeys() is one ZRANGEBYLEX: the agent polls it, and a
//                   SCAN would walk every key on the server each time
//   P c:NAME        string: a counter (INCRBY)
//   P o:NAME        set: the tokens AddOnce() has added to counter NAME
//   P s:NAME        stream: an event stream, event seq n at stream id 0-n
//   P z:Q, m:Q      the messages of queue Q: by visible_at; bodies and
//                   deliveries (see redis_scripts.h)
//   P w:Q           stream: wake-ups of queue Q's blocked Lease() calls
//   P ids           the message id counter, shared by every queue and never
//                   deleted, so an id is never reused, even after
//                   DeletePrefix(), and a stale Ack() cannot hit a new message
// The kind comes before the name so that "P ?:" + prefix + "*" matches exactly
// the keys of the names starting with prefix (a suffix could make one name
// look like another that starts with the prefix); "ids" and "keys" match no
// such pattern.
//
// Compound operations, and record writes (which also index the key), are Lua
// scripts (redis_scripts.h), run by EVALSHA (EVAL when the server has lost
// them), each one atomic round trip: a worker's Lease()+CommitResults() batch
// costs two.
//
// Blocking. A blocked Read() is an XREAD BLOCK on the event stream itself. A
// blocked Lease() XREADs its queue's wake-up stream after the last wake-up id,
// which the failed lease attempt returned atomically, so an Enqueue() between
// the attempt and the XREAD still wakes it: the stream works as the futex
// generation counter of sqlite://. We chose it over a list that Enqueue()
// LPUSHes and waiters BLPOP because a stream entry wakes every waiter (BLPOP
// hands a token to one, leaving the others asleep with work waiting) and
// needs no draining of tokens nobody waited for. A waiter also wakes when the
// earliest lease in the queue expires (from server times), and at least every
// kMaxBlock, to recover from anything it missed.
//
// Connections: one for ordinary commands, behind a mutex; blocking commands
// borrow a connection of their own from a small pool, so a waiting Lease() or
// Read() never holds up the other calls on the same Coordinator.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "coord/coordinators.h"
#include "coord/redis_connection.h"
#include "coord/redis_scripts.h"
#include "tern/errors.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;

// The longest a blocked call waits on the server before checking again.
constexpr Millis kMaxBlock{2000};
// Connections for blocking commands kept open between calls.
constexpr size_t kMaxIdleConnections = 4;
// Keys SCAN looks at per call.
constexpr const char* kScanCount = "1000";

// Message ids are decimal numbers; as set and hash members they are padded
// to 20 digits so that they sort as numbers. "" for text that names no
// message (no member is empty).
std::string Member(const std::string& id) {
  uint64_t number;
  const char* end = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(id.data(), end, number);
  if (id.empty() || ec != std::errc() || ptr != end) return "";
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%020" PRIu64, number);
  return buffer;
}

std::string IdOf(std::string_view member) {
  size_t zeros = member.find_first_not_of('0');
  if (zeros == std::string_view::npos)
    zeros = member.empty() ? 0 : member.size() - 1;
  return std::string(member.substr(zeros));
}

// Escapes what a Redis glob pattern would not take literally.
std::string GlobEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The ZRANGEBYLEX bounds of the members starting with prefix.
std::string LexStart(const std::string& prefix) { return "[" + prefix; }
std::string LexEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
    end.pop_back();
  }
  if (end.empty()) return "+";
  end.back() = static_cast<char>(end.back() + 1);
  return "(" + end;
}

std::string String(const redisReply& reply) {
  return std::string(reply.str != nullptr ? reply.str : "", reply.len);
}

// The seq of stream id "0-n".
uint64_t SeqOf(const redisReply& id) {
  std::string_view text(id.str, id.len);
  std::string_view digits = text.substr(text.find('-') + 1);
  uint64_t seq = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  return seq;
}

class RedisCoordinator final : public Coordinator {
 public:
  explicit RedisCoordinator(RedisConfig config);

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

  std::string Uri() const override { return config_.masked_uri; }

 private:
  // What a Lease() attempt found when nothing was visible.
  struct Idle {
    double next_visible = 0;  // server ms of the earliest lease end, or 0
    double now = 0;           // server ms
    std::string wake_id;      // the last entry of the queue's wake-ups
  };

  std::string Key(char kind, const std::string& name) const {
    return config_.prefix + kind + ':' + name;
  }
  // Sends a command on the shared connection, opening a new one if an
  // earlier failure broke it. Send() returns error replies, Call() throws.
  RedisReply Send(const std::vector<std::string_view>& args);
  RedisReply Call(const std::vector<std::string_view>& args);
  RedisReply Eval(RedisScript script, const std::vector<std::string>& keys,
                  const std::vector<std::string_view>& args);
  // Runs a command that the server may hold for up to `block` on a
  // connection of its own.
  RedisReply CallBlocking(const std::vector<std::string_view>& args,
                          Millis block);
  // Leases what is visible now, or fills *idle.
  std::vector<LeasedMessage> TryLease(const std::vector<std::string>& keys,
                                      int max, Millis lease, Idle* idle);
  std::vector<Event> ParseEvents(const redisReply& reply) const;
  // Every key matching pattern, each once.
  std::vector<std::string> Scan(const std::string& pattern);

  const RedisConfig config_;
  std::string shas_[kNumScripts];  // set once by the constructor
  std::mutex mu_;
  std::unique_ptr<RedisConnection> connection_;  // guarded by mu_
  std::mutex idle_mu_;
  // For blocking commands. Guarded by idle_mu_.
  std::vector<std::unique_ptr<RedisConnection>> idle_;
};

RedisCoordinator::RedisCoordinator(RedisConfig config)
    : config_(std::move(config)),
      connection_(std::make_unique<RedisConnection>(config_)) {
  std::vector<std::vector<std::string_view>> loads;
  for (const char* text : kRedisScriptText) {
    loads.push_back({"SCRIPT", "LOAD", text});
  }
  std::vector<RedisReply> shas = connection_->Pipeline(loads);
  for (int i = 0; i < kNumScripts; ++i) {
    ExpectReply(config_, *shas[i], REDIS_REPLY_STRING);
    shas_[i] = String(*shas[i]);
  }
}

RedisReply RedisCoordinator::Send(const std::vector<std::string_view>& args) {
  std::lock_guard<std::mutex> lock(mu_);
  if (connection_ == nullptr || connection_->broken()) {
    connection_.reset();
    connection_ = std::make_unique<RedisConnection>(config_);
  }
  return connection_->Send(args);
}

RedisReply RedisCoordinator::Call(const std::vector<std::string_view>& args) {
  RedisReply reply = Send(args);
  if (reply->type == REDIS_REPLY_ERROR) ThrowReplyError(config_, *reply);
  return reply;
}

RedisReply RedisCoordinator::Eval(RedisScript script,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string_view>& args) {
  std::string num_keys = std::to_string(keys.size());
  std::vector<std::string_view> argv = {"EVALSHA", shas_[script], num_keys};
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  RedisReply reply = Send(argv);
  if (reply->type == REDIS_REPLY_ERROR &&
      std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
    // The server restarted or flushed its scripts; EVAL caches it again.
    argv[0] = "EVAL";
    argv[1] = kRedisScriptText[script];
    reply = Send(argv);
  }
  if (reply->type == REDIS_REPLY_ERROR) ThrowReplyError(config_, *reply);
  return reply;
}

RedisReply RedisCoordinator::CallBlocking(
    const std::vector<std::string_view>& args, Millis block) {
  std::unique_ptr<RedisConnection> connection;
  {
    std::lock_guard<std::mutex> lock(idle_mu_);
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (connection == nullptr) {
    connection = std::make_unique<RedisConnection>(config_);
  }
  connection->SetTimeout(block + config_.timeout);
  RedisReply reply = connection->Command(args);  // drops it if this throws
  std::lock_guard<std::mutex> lock(idle_mu_);
  if (idle_.size() < kMaxIdleConnections) {
    idle_.push_back(std::move(connection));
  }
  return reply;
}

std::vector<std::string> RedisCoordinator::Enqueue(
    const std::string& queue, const std::vector<std::string>& bodies) {
  std::vector<std::string> ids;
  if (bodies.empty()) return ids;
  RedisReply reply =
      Eval(kEnqueueScript,
           {config_.prefix + "ids", Key('z', queue), Key('m', queue),
            Key('w', queue)},
           std::vector<std::string_view>(bodies.begin(), bodies.end()));
  ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
  uint64_t first = static_cast<uint64_t>(reply->integer) - bodies.size() + 1;
  ids.reserve(bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    ids.push_back(std::to_string(first + i));
  }
  return ids;
}

std::vector<LeasedMessage> RedisCoordinator::TryLease(
    const std::vector<std::string>& keys, int max, Millis lease, Idle* idle) {
  std::string max_text = std::to_string(max);
  std::string lease_text = std::to_string(lease.count());
  RedisReply reply = Eval(kLeaseScript, keys, {max_text, lease_text});
  ExpectReply(config_, *reply, REDIS_REPLY_ARRAY, 1);
  std::vector<LeasedMessage> leased;
  if (reply->element[0]->integer == 0) {
    ExpectReply(config_, *reply, REDIS_REPLY_ARRAY, 4);
    std::string next_visible = String(*reply->element[1]);
    idle->next_visible =
        next_visible.empty() ? 0 : std::strtod(next_visible.c_str(), nullptr);
    idle->now = static_cast<double>(reply->element[2]->integer);
    idle->wake_id = String(*reply->element[3]);
    return leased;
  }
  for (size_t i = 1; i + 2 < reply->elements; i += 3) {
    leased.push_back(LeasedMessage{
        IdOf(String(*reply->element[i])), String(*reply->element[i + 1]),
        static_cast<int>(reply->element[i + 2]->integer)});
  }
  return leased;
}

std::vector<LeasedMessage> RedisCoordinator::Lease(const std::string& queue,
                                                   int max, Millis lease,
                                                   Millis wait) {
  if (max <= 0) return {};
  Clock::time_point deadline = Clock::now() + wait;
  std::vector<std::string> keys = {Key('z', queue), Key('m', queue),
                                   Key('w', queue)};
  for (;;) {
    Idle idle;
    std::vector<LeasedMessage> leased = TryLease(keys, max, lease, &idle);
    Clock::time_point now = Clock::now();
    if (!leased.empty() || now >= deadline) return leased;
    Millis block =
        std::min(kMaxBlock, std::chrono::ceil<Millis>(deadline - now));
    if (idle.next_visible > 0) {
      // Wake when the earliest outstanding lease expires.
      auto until = static_cast<int64_t>(idle.next_visible - idle.now) + 1;
      block = std::min(block, Millis(until));
    }
    block = std::max(block, Millis(1));  // BLOCK 0 would wait forever
    CallBlocking({"XREAD", "COUNT", "1", "BLOCK", std::to_string(block.count()),
                  "STREAMS", keys[2], idle.wake_id},
                 block);
  }
}

bool RedisCoordinator::Renew(const std::string& queue,
                             const LeasedMessage& message, Millis lease) {
  std::string member = Member(message.id);
  if (member.empty()) return false;
  std::string delivery = std::to_string(message.delivery);
  std::string lease_text = std::to_string(lease.count());
  RedisReply reply = Eval(kRenewScript, {Key('z', queue), Key('m', queue)},
                          {member, delivery, lease_text});
  ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
  return reply->integer == 1;
}

void RedisCoordinator::Ack(const std::string& queue,
                           const std::vector<std::string>& message_ids) {
  std::vector<std::string> members;
  for (const std::string& id : message_ids) {
    std::string member = Member(id);
    if (!member.empty()) members.push_back(std::move(member));
  }
  if (members.empty()) return;
  Eval(kAckScript, {Key('z', queue), Key('m', queue)},
       std::vector<std::string_view>(members.begin(), members.end()));
}

int64_t RedisCoordinator::QueueLength(const std::string& queue) {
  RedisReply reply = Call({"ZCARD", Key('z', queue)});
  ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
  return reply->integer;
}

void RedisCoordinator::Put(const std::string& key, const std::string& value) {
  Eval(kPutScript, {Key('r', key), config_.prefix + "keys"}, {key, value, ""});
}

bool RedisCoordinator::PutIfAbsent(const std::string& key,
                                   const std::string& value) {
  RedisReply reply = Eval(kPutScript, {Key('r', key), config_.prefix + "keys"},
                          {key, value, "NX"});
  ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
  return reply->integer == 1;
}

std::optional<std::string> RedisCoordinator::Get(const std::string& key) {
  RedisReply reply = Call({"GET", Key('r', key)});
  if (reply->type == REDIS_REPLY_NIL) return std::nullopt;
  ExpectReply(config_, *reply, REDIS_REPLY_STRING);
  return String(*reply);
}

std::vector<std::string> RedisCoordinator::Scan(const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    RedisReply reply =
        Call({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount});
    ExpectReply(config_, *reply, REDIS_REPLY_ARRAY, 2);
    cursor = String(*reply->element[0]);
    const redisReply& page = *reply->element[1];
    for (size_t i = 0; i < page.elements; ++i) {
      keys.push_back(String(*page.element[i]));
    }
  } while (cursor != "0");
  // SCAN may return a key more than once.
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<std::string> RedisCoordinator::ListKeys(const std::string& prefix) {
  RedisReply reply = Call({"ZRANGEBYLEX", config_.prefix + "keys",
                           LexStart(prefix), LexEnd(prefix)});
  ExpectReply(config_, *reply, REDIS_REPLY_ARRAY);
  std::vector<std::string> keys;
  keys.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    keys.push_back(String(*reply->element[i]));
  }
  return keys;
}

// Records go with their index entries, atomically, so that ListKeys() never
// lists a deleted record nor misses a new one. The other kinds are found by
// a SCAN of the whole server: deleting is rare (a job's clean-up), so it can
// be slow rather than slow down writes with an index for every kind.
void RedisCoordinator::DeletePrefix(const std::string& prefix) {
  constexpr size_t kBatch = 512;
  std::string batch = std::to_string(kBatch);
  for (;;) {
    RedisReply reply =
        Eval(kDeleteRecordsScript, {config_.prefix + "keys"},
             {LexStart(prefix), LexEnd(prefix), Key('r', ""), batch});
    ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
    if (reply->integer < static_cast<long long>(kBatch)) break;
  }
  std::vector<std::string> keys =
      Scan(GlobEscape(config_.prefix) + "[^r]:" + GlobEscape(prefix) + "*");
  for (size_t i = 0; i < keys.size(); i += kBatch) {
    std::vector<std::string_view> args = {"UNLINK"};
    size_t end = std::min(keys.size(), i + kBatch);
    args.insert(args.end(), keys.begin() + i, keys.begin() + end);
    Call(args);
  }
}

int64_t RedisCoordinator::Add(const std::string& counter, int64_t delta) {
  if (delta != 0) {
    RedisReply reply =
        Call({"INCRBY", Key('c', counter), std::to_string(delta)});
    ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
    return reply->integer;
  }
  RedisReply reply = Call({"GET", Key('c', counter)});
  if (reply->type == REDIS_REPLY_NIL) return 0;
  ExpectReply(config_, *reply, REDIS_REPLY_STRING);
  int64_t value = 0;
  std::from_chars(reply->str, reply->str + reply->len, value);
  return value;
}

std::vector<OnceAddResult> RedisCoordinator::AddOnce(
    const std::vector<OnceAdd>& adds) {
  if (adds.empty()) return {};
  std::vector<std::string> keys, deltas;
  std::vector<std::string_view> args;
  keys.reserve(2 * adds.size());
  deltas.reserve(adds.size());
  args.reserve(2 * adds.size());
  for (const OnceAdd& add : adds) {
    keys.push_back(Key('c', add.counter));
    keys.push_back(Key('o', add.counter));
    deltas.push_back(std::to_string(add.delta));
    args.push_back(add.token);
    args.push_back(deltas.back());
  }
  RedisReply reply = Eval(kAddOnceScript, keys, args);
  ExpectReply(config_, *reply, REDIS_REPLY_ARRAY, 2 * adds.size());
  std::vector<OnceAddResult> results(adds.size());
  for (size_t i = 0; i < adds.size(); ++i) {
    results[i].value = reply->element[2 * i]->integer;
    results[i].added = reply->element[2 * i + 1]->integer == 1;
  }
  return results;
}

uint64_t RedisCoordinator::Append(const std::string& stream,
                                  const std::vector<std::string>& events) {
  RedisReply reply =
      Eval(kAppendScript, {Key('s', stream)},
           std::vector<std::string_view>(events.begin(), events.end()));
  ExpectReply(config_, *reply, REDIS_REPLY_INTEGER);
  return static_cast<uint64_t>(reply->integer);
}

std::vector<Event> RedisCoordinator::ParseEvents(
    const redisReply& reply) const {
  std::vector<Event> events;
  if (reply.type == REDIS_REPLY_NIL) return events;  // none, or timed out
  // [[stream key, [[id, [field, data]], ...]]]
  ExpectReply(config_, reply, REDIS_REPLY_ARRAY, 1);
  ExpectReply(config_, *reply.element[0], REDIS_REPLY_ARRAY, 2);
  const redisReply& entries = *reply.element[0]->element[1];
  for (size_t i = 0; i < entries.elements; ++i) {
    const redisReply& entry = *entries.element[i];
    ExpectReply(config_, entry, REDIS_REPLY_ARRAY, 2);
    ExpectReply(config_, *entry.element[1], REDIS_REPLY_ARRAY, 2);
    events.push_back(
        Event{SeqOf(*entry.element[0]), String(*entry.element[1]->element[1])});
  }
  return events;
}

std::vector<Event> RedisCoordinator::Read(const std::string& stream,
                                          uint64_t after, int max,
                                          Millis wait) {
  if (max <= 0) return {};
  std::string key = Key('s', stream);
  std::string from = "0-" + std::to_string(after);
  std::string count = std::to_string(max);
  if (wait <= Millis(0)) {
    return ParseEvents(*Call({"XREAD", "COUNT", count, "STREAMS", key, from}));
  }
  Clock::time_point deadline = Clock::now() + wait;
  for (;;) {
    Millis block =
        std::clamp(std::chrono::ceil<Millis>(deadline - Clock::now()),
                   Millis(1), kMaxBlock);
    std::vector<Event> events = ParseEvents(
        *CallBlocking({"XREAD", "COUNT", count, "BLOCK",
                       std::to_string(block.count()), "STREAMS", key, from},
                      block));
    if (!events.empty() || Clock::now() >= deadline) return events;
  }
}

std::vector<bool> RedisCoordinator::CommitResults(
    const std::vector<Commit>& commits) {
  if (commits.empty()) return {};
  size_t n = commits.size();
  // KEYS: the index, records, distinct streams, z, m of distinct queues.
  std::vector<std::string> keys = {config_.prefix + "keys"}, queue_keys;
  std::map<std::string, int> streams, queues;  // name -> 1-based index
  std::vector<std::string> numbers;  // stream index, queue index, member
  numbers.reserve(3 * n);
  keys.reserve(n + 1);
  for (const Commit& commit : commits) {
    keys.push_back(Key('r', commit.key));
    int stream = 0, queue = 0;
    if (!commit.stream.empty()) {
      stream =
          streams.emplace(commit.stream, static_cast<int>(streams.size()) + 1)
              .first->second;
    }
    std::string member = Member(commit.message_id);
    if (!commit.queue.empty() && !member.empty()) {
      auto [it, added] =
          queues.emplace(commit.queue, static_cast<int>(queues.size()) + 1);
      if (added) {
        for (char kind : {'z', 'm'}) {
          queue_keys.push_back(Key(kind, commit.queue));
        }
      }
      queue = it->second;
    }
    numbers.push_back(std::to_string(stream));
    numbers.push_back(std::to_string(queue));
    numbers.push_back(std::move(member));
  }
  std::vector<std::string> stream_keys(streams.size());
  for (const auto& [name, index] : streams) {
    stream_keys[index - 1] = Key('s', name);
  }
  keys.insert(keys.end(), stream_keys.begin(), stream_keys.end());
  keys.insert(keys.end(), queue_keys.begin(), queue_keys.end());

  std::string count = std::to_string(n);
  std::string stream_count = std::to_string(streams.size());
  std::vector<std::string_view> args = {count, stream_count};
  args.reserve(2 + 5 * n);
  for (size_t i = 0; i < n; ++i) {
    args.push_back(commits[i].key);
    args.push_back(commits[i].value);
    args.insert(args.end(), numbers.begin() + 3 * i,
                numbers.begin() + 3 * i + 3);
  }
  RedisReply reply = Eval(kCommitScript, keys, args);
  ExpectReply(config_, *reply, REDIS_REPLY_ARRAY, n);
  std::vector<bool> won(n);
  for (size_t i = 0; i < n; ++i) won[i] = reply->element[i]->integer == 1;
  return won;
}

}  // namespace

std::unique_ptr<Coordinator> OpenRedisCoordinator(const Uri& uri,
                                                  const std::string& text) {
  return std::make_unique<RedisCoordinator>(RedisConfig::FromUri(uri, text));
}

}  // namespace tern
