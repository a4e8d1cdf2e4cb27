// The sqlite:// Coordinator: one SQLite database file in WAL mode, shared by
// any number of threads and processes on one host.
//
// Schema (created idempotently, so many processes may open a new file at once):
//   messages(id, queue, body, delivery, visible_at)  id is an AUTOINCREMENT
//       rowid, so an id is never reused and a stale Ack cannot hit a newer
//       message. A message is visible when visible_at (ms since the epoch,
//       CLOCK_REALTIME so that every process agrees) <= now; the index on
//       (queue, visible_at) finds the oldest visible one. Lease() hands out
//       messages in (visible_at, id) order: the order in which they became
//       visible, which is enqueue order until a lease expires.
//   records(key, value), counters(name, value), events(stream, seq, data).
//   once_tokens(counter, token): the tokens AddOnce() has added to each
//       counter; the primary key makes a replayed insert a no-op.
//
// Blocking waits across processes use "<db>-notify" (see NotifyFile): a page
// of 32-bit generation counters mapped MAP_SHARED. Writers bump the counter of
// the queue or stream they changed after commit and FUTEX_WAKE; waiters read
// the counter, re-check the database, then FUTEX_WAIT on the value they read,
// so a wake between the check and the wait is never lost.
#include <fcntl.h>
#include <linux/futex.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "coord/coordinators.h"
#include "tern/errors.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;

// A blocked Lease() or Read() re-checks the database at least this often, so
// a writer that does not bump the notify file (another program, say) delays
// it by no more than this.
constexpr Millis kMaxFutexWait{500};
// How long a write waits for another connection's transaction to finish.
constexpr std::chrono::seconds kBusyTimeout{60};

int64_t NowMs() {
  return std::chrono::duration_cast<Millis>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Message ids are rowids in decimal. Anything else names no message.
bool ParseId(const std::string& text, int64_t* id) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *id);
  return ec == std::errc() && ptr == end && !text.empty();
}

// The smallest string greater than every string starting with prefix, or ""
// when there is none (prefix empty or all 0xff).
std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
    end.pop_back();
  }
  if (!end.empty()) end.back() = static_cast<char>(end.back() + 1);
  return end;
}

// ---- NotifyFile: cross-process wake-ups through futexes on a shared page.

class NotifyFile {
 public:
  enum Kind { kQueue = 0, kStream = 1 };

  explicit NotifyFile(const std::string& path);
  ~NotifyFile() { munmap(words_, kFileSize); }
  NotifyFile(const NotifyFile&) = delete;
  NotifyFile& operator=(const NotifyFile&) = delete;

  // The counter that changes whenever the queue or stream `name` may have.
  uint32_t* Slot(Kind kind, std::string_view name) const;
  static uint32_t Load(uint32_t* slot) {
    return std::atomic_ref<uint32_t>(*slot).load();
  }
  // Call after the change has committed.
  static void Bump(uint32_t* slot);
  // Sleeps until the slot differs from seen, a Bump(), or the timeout.
  static void Wait(uint32_t* slot, uint32_t seen, Millis timeout);

 private:
  // Names hash onto 32 slots per kind, each on its own cache line; unrelated
  // names sharing a slot only cause a spurious re-check.
  static constexpr int kSlotsPerKind = 32;
  static constexpr int kWordsPerSlot = 16;
  static constexpr size_t kFileSize = 2 * kSlotsPerKind * kWordsPerSlot * 4;

  uint32_t* words_;
};

NotifyFile::NotifyFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error(ErrorCode::kIOError,
                "cannot open " + path + ": " + std::strerror(errno));
  }
  // Extending to the same size from two processes at once is harmless and
  // never clears counters already written.
  struct stat st;
  bool ok =
      fstat(fd, &st) == 0 && (st.st_size >= static_cast<off_t>(kFileSize) ||
                              ftruncate(fd, kFileSize) == 0);
  void* map =
      ok ? mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
         : MAP_FAILED;
  int saved_errno = errno;
  close(fd);
  if (map == MAP_FAILED) {
    throw Error(ErrorCode::kIOError,
                "cannot map " + path + ": " + std::strerror(saved_errno));
  }
  words_ = static_cast<uint32_t*>(map);
}

uint32_t* NotifyFile::Slot(Kind kind, std::string_view name) const {
  uint32_t hash = 2166136261u;  // FNV-1a: stable across processes and builds
  for (char c : name) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  int slot = kind * kSlotsPerKind + static_cast<int>(hash % kSlotsPerKind);
  return words_ + slot * kWordsPerSlot;
}

void NotifyFile::Bump(uint32_t* slot) {
  std::atomic_ref<uint32_t>(*slot).fetch_add(1);
  syscall(SYS_futex, slot, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void NotifyFile::Wait(uint32_t* slot, uint32_t seen, Millis timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>(timeout.count() % 1000) * 1000000};
  // EAGAIN (already bumped), ETIMEDOUT and EINTR all mean: check again.
  syscall(SYS_futex, slot, FUTEX_WAIT, seen, &ts, nullptr, 0);
}

// ---- Database: one connection and its cached statements.

enum Sql {
  kBegin,
  kCommit,
  kRollback,
  kEnqueue,
  kNextVisible,
  kLeaseSelect,
  kLeaseUpdate,
  kRenew,
  kAck,
  kQueueLength,
  kPut,
  kPutIfAbsent,
  kGet,
  kListKeys,
  kAdd,
  kCounter,
  kOnceToken,
  kLastSeq,
  kAppend,
  kRead,
  kDeleteRecords,
  kDeleteCounters,
  kDeleteOnceTokens,
  kDeleteEvents,
  kDeleteMessages,
  kNumSql
};

// In the order of enum Sql.
constexpr const char* kSqlText[kNumSql] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "INSERT INTO messages(queue, body, delivery, visible_at) "
    "VALUES(?1, ?2, 0, ?3)",
    "SELECT min(visible_at) FROM messages WHERE queue = ?1",
    "SELECT id, body, delivery FROM messages "
    "WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, id LIMIT ?3",
    "UPDATE messages SET visible_at = ?1, delivery = delivery + 1 "
    "WHERE id = ?2",
    "UPDATE messages SET visible_at = ?1 "
    "WHERE id = ?2 AND queue = ?3 AND delivery = ?4",
    "DELETE FROM messages WHERE id = ?1 AND queue = ?2",
    "SELECT count(*) FROM messages WHERE queue = ?1",
    "INSERT INTO records(key, value) VALUES(?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    "INSERT INTO records(key, value) VALUES(?1, ?2) "
    "ON CONFLICT(key) DO NOTHING",
    "SELECT value FROM records WHERE key = ?1",
    "SELECT key FROM records WHERE key >= ?1 AND key < ?2 ORDER BY key",
    "INSERT INTO counters(name, value) VALUES(?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value "
    "RETURNING value",
    "SELECT value FROM counters WHERE name = ?1",
    "INSERT INTO once_tokens(counter, token) VALUES(?1, ?2) "
    "ON CONFLICT DO NOTHING",
    "SELECT max(seq) FROM events WHERE stream = ?1",
    "INSERT INTO events(stream, seq, data) VALUES(?1, ?2, ?3)",
    "SELECT seq, data FROM events WHERE stream = ?1 AND seq > ?2 "
    "ORDER BY seq LIMIT ?3",
    "DELETE FROM records WHERE key >= ?1 AND key < ?2",
    "DELETE FROM counters WHERE name >= ?1 AND name < ?2",
    "DELETE FROM once_tokens WHERE counter >= ?1 AND counter < ?2",
    "DELETE FROM events WHERE stream >= ?1 AND stream < ?2",
    "DELETE FROM messages WHERE queue >= ?1 AND queue < ?2",
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  delivery INTEGER NOT NULL,
  visible_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_visible ON messages(queue, visible_at);
CREATE TABLE IF NOT EXISTS records(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters(
  name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS once_tokens(
  counter TEXT NOT NULL,
  token BLOB NOT NULL,
  PRIMARY KEY(counter, token)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(stream, seq));
)sql";

ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kCorruption;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_TOOBIG:
      return ErrorCode::kInvalidArgument;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return ErrorCode::kPermissionDenied;
    default:
      return ErrorCode::kIOError;
  }
}

class Database {
 public:
  // Opens path; errors name `name` (the path as the user gave it).
  Database(const std::string& path, const std::string& name);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3_stmt* Statement(Sql sql) { return statements_[sql].get(); }
  int Changes() { return sqlite3_changes(db_.get()); }
  int64_t LastInsertId() { return sqlite3_last_insert_rowid(db_.get()); }
  [[noreturn]] void Fail(int rc) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  static int OnBusy(void* arg, int attempt);
  // Runs setup SQL, retrying while another process holds the lock it needs.
  void ExecWithRetry(const char* sql);

  const std::string name_;
  Clock::time_point busy_since_;
  std::unique_ptr<sqlite3, Closer> db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> statements_[kNumSql];
};

Database::Database(const std::string& path, const std::string& name)
    : name_(name) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK) Fail(rc);
  sqlite3_busy_handler(db, &Database::OnBusy, this);
  ExecWithRetry("PRAGMA journal_mode = WAL");
  ExecWithRetry("PRAGMA synchronous = NORMAL");
  // Checkpoints fsync; with the default of one every 1,000 pages they cost
  // about a third of the Lease+CommitResults throughput. The WAL is cut back
  // to 64 MB after each.
  ExecWithRetry("PRAGMA wal_autocheckpoint = 10000");
  ExecWithRetry("PRAGMA journal_size_limit = 67108864");
  ExecWithRetry(kSchema);
  for (int i = 0; i < kNumSql; ++i) {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v3(db, kSqlText[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &stmt, nullptr);
    statements_[i].reset(stmt);
    if (rc != SQLITE_OK) Fail(rc);
  }
}

void Database::Fail(int rc) const {
  // The connection's message is more specific, when it is about this error.
  bool same = db_ && (sqlite3_errcode(db_.get()) & 0xff) == (rc & 0xff);
  const char* why = same ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  throw Error(CodeFor(rc), "sqlite coordinator " + name_ + ": " + why);
}

// SQLite's default handler backs off to 100 ms sleeps, but a write here holds
// the lock for well under a millisecond, so short randomized sleeps keep
// contending processes working instead of idle.
int Database::OnBusy(void* arg, int attempt) {
  auto* self = static_cast<Database*>(arg);
  if (attempt == 0) self->busy_since_ = Clock::now();
  if (Clock::now() - self->busy_since_ > kBusyTimeout) return 0;
  // Jitter from the clock's low bits differs between processes, unlike a
  // random engine seeded before a fork.
  int cap_us = std::min(2000, 20 << std::min(attempt, 7));
  int jitter = static_cast<int>(Clock::now().time_since_epoch().count() %
                                (cap_us / 2 + 1));
  std::this_thread::sleep_for(std::chrono::microseconds(cap_us / 2 + jitter));
  return 1;
}

void Database::ExecWithRetry(const char* sql) {
  Clock::time_point deadline = Clock::now() + kBusyTimeout;
  for (;;) {
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    if (!busy || Clock::now() > deadline) Fail(rc);
    std::this_thread::sleep_for(Millis(1));
  }
}

// One use of a cached statement: bind, step, read columns. Resets the
// statement on destruction so the next use finds it idle. Bound strings must
// outlive the use (they are not copied).
class Query {
 public:
  Query(Database* db, Sql sql) : db_(db), stmt_(db->Statement(sql)) {}
  ~Query() { sqlite3_reset(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // A null pointer would bind NULL rather than "", hence Data().
  Query& Text(int i, std::string_view text) {
    return Check(
        sqlite3_bind_text(stmt_, i, Data(text), Size(text), SQLITE_STATIC));
  }
  Query& Blob(int i, std::string_view bytes) {
    return Check(
        sqlite3_bind_blob(stmt_, i, Data(bytes), Size(bytes), SQLITE_STATIC));
  }
  Query& Int(int i, int64_t value) {
    return Check(sqlite3_bind_int64(stmt_, i, value));
  }
  // Binds ?1 and ?2 so that "name >= ?1 AND name < ?2" selects the names
  // starting with prefix. An empty BLOB sorts after every TEXT value, so it
  // stands in for "no upper bound" and keeps the index range scan.
  Query& PrefixRange(const std::string& prefix, const std::string& end) {
    Text(1, prefix);
    return end.empty() ? Blob(2, "") : Text(2, end);
  }

  // Returns true when a row is ready, false when the statement is done.
  bool Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_->Fail(rc);
    return false;
  }
  // Steps to completion, then makes the statement ready to run again with
  // new bindings (the others are kept).
  void Run() {
    while (Step()) {
    }
    sqlite3_reset(stmt_);
  }

  bool IsNull(int column) {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string Bytes(int column) {
    const char* data =
        static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return std::string(data ? data : "", sqlite3_column_bytes(stmt_, column));
  }

 private:
  Query& Check(int rc) {
    if (rc != SQLITE_OK) db_->Fail(rc);
    return *this;
  }
  static const char* Data(std::string_view s) {
    return s.empty() ? "" : s.data();
  }
  int Size(std::string_view s) {
    // SQLite takes an int; larger values fail here rather than wrap.
    if (s.size() > static_cast<size_t>(INT_MAX)) db_->Fail(SQLITE_TOOBIG);
    return static_cast<int>(s.size());
  }

  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
// half-way because another writer got in first. Rolls back unless committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database* db) : db_(db) {
    Query(db_, kBegin).Run();
  }
  ~WriteTransaction() {
    if (!committed_) sqlite3_step(db_->Statement(kRollback));
    sqlite3_reset(db_->Statement(kRollback));
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void Commit() {
    Query(db_, kCommit).Run();
    committed_ = true;
  }

 private:
  Database* db_;
  bool committed_ = false;
};

// ---- SqliteCoordinator.

class SqliteCoordinator final : public Coordinator {
 public:
  // path is canonical, so that every process finds the same notify file.
  SqliteCoordinator(std::string uri, const std::string& path,
                    const std::string& name)
      : uri_(std::move(uri)), db_(path, name), notify_(path + "-notify") {}

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
  // Leases what is visible now. If nothing is, sets *next_visible to the
  // earliest visible_at in queue (0 if the queue is empty).
  std::vector<LeasedMessage> TryLease(const std::string& queue, int max,
                                      Millis lease, int64_t* next_visible);
  std::vector<Event> TryRead(const std::string& stream, uint64_t after,
                             int max);
  // Add() without the lock. REQUIRES: mu_ held.
  int64_t AddLocked(const std::string& counter, int64_t delta);
  // REQUIRES: mu_ held.
  uint64_t LastSeq(const std::string& stream);
  // Runs ack for one message. REQUIRES: mu_ held.
  static void AckOne(Query* ack, const std::string& queue,
                     const std::string& id);

  const std::string uri_;
  std::mutex mu_;
  Database db_;  // guarded by mu_
  NotifyFile notify_;
};

std::vector<std::string> SqliteCoordinator::Enqueue(
    const std::string& queue, const std::vector<std::string>& bodies) {
  std::vector<std::string> ids;
  if (bodies.empty()) return ids;
  ids.reserve(bodies.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    WriteTransaction txn(&db_);
    Query insert(&db_, kEnqueue);
    insert.Text(1, queue).Int(3, NowMs());
    for (const std::string& body : bodies) {
      insert.Blob(2, body).Run();
      ids.push_back(std::to_string(db_.LastInsertId()));
    }
    txn.Commit();
  }
  NotifyFile::Bump(notify_.Slot(NotifyFile::kQueue, queue));
  return ids;
}

std::vector<LeasedMessage> SqliteCoordinator::Lease(const std::string& queue,
                                                    int max, Millis lease,
                                                    Millis wait) {
  Clock::time_point deadline = Clock::now() + wait;
  uint32_t* slot = notify_.Slot(NotifyFile::kQueue, queue);
  for (;;) {
    uint32_t seen = NotifyFile::Load(slot);
    int64_t next_visible = 0;
    std::vector<LeasedMessage> leased =
        TryLease(queue, max, lease, &next_visible);
    Clock::time_point now = Clock::now();
    if (!leased.empty() || max <= 0 || now >= deadline) return leased;
    Millis timeout =
        std::min(kMaxFutexWait, std::chrono::ceil<Millis>(deadline - now));
    if (next_visible > 0) {
      // Wake when the earliest outstanding lease expires.
      timeout = std::min(timeout,
                         Millis(std::max<int64_t>(1, next_visible - NowMs())));
    }
    NotifyFile::Wait(slot, seen, timeout);
  }
}

std::vector<LeasedMessage> SqliteCoordinator::TryLease(const std::string& queue,
                                                       int max, Millis lease,
                                                       int64_t* next_visible) {
  std::vector<LeasedMessage> leased;
  if (max <= 0) return leased;
  std::lock_guard<std::mutex> lock(mu_);
  // Peek without the write lock first, so idle waiters never contend with
  // the writers doing real work.
  int64_t now = NowMs();
  {
    Query peek(&db_, kNextVisible);
    peek.Text(1, queue).Step();
    *next_visible = peek.IsNull(0) ? 0 : peek.Int(0);
    if (*next_visible == 0 || *next_visible > now) return leased;
  }
  WriteTransaction txn(&db_);
  std::vector<int64_t> ids;
  {
    Query select(&db_, kLeaseSelect);
    select.Text(1, queue).Int(2, now).Int(3, max);
    while (select.Step()) {
      ids.push_back(select.Int(0));
      leased.push_back(LeasedMessage{std::to_string(ids.back()),
                                     select.Bytes(1),
                                     static_cast<int>(select.Int(2)) + 1});
    }
  }
  Query update(&db_, kLeaseUpdate);
  update.Int(1, now + lease.count());
  for (int64_t id : ids) update.Int(2, id).Run();
  txn.Commit();
  return leased;
}

bool SqliteCoordinator::Renew(const std::string& queue,
                              const LeasedMessage& message, Millis lease) {
  int64_t id;
  if (!ParseId(message.id, &id)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  Query renew(&db_, kRenew);
  renew.Int(1, NowMs() + lease.count()).Int(2, id).Text(3, queue);
  renew.Int(4, message.delivery).Run();
  return db_.Changes() == 1;
}

void SqliteCoordinator::AckOne(Query* ack, const std::string& queue,
                               const std::string& message_id) {
  int64_t id;
  if (ParseId(message_id, &id)) ack->Int(1, id).Text(2, queue).Run();
}

void SqliteCoordinator::Ack(const std::string& queue,
                            const std::vector<std::string>& message_ids) {
  if (message_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  WriteTransaction txn(&db_);
  {
    Query ack(&db_, kAck);
    for (const std::string& id : message_ids) AckOne(&ack, queue, id);
  }
  txn.Commit();
}

int64_t SqliteCoordinator::QueueLength(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  Query count(&db_, kQueueLength);
  count.Text(1, queue).Step();
  return count.Int(0);
}

void SqliteCoordinator::Put(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  Query(&db_, kPut).Text(1, key).Blob(2, value).Run();
}

bool SqliteCoordinator::PutIfAbsent(const std::string& key,
                                    const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  Query(&db_, kPutIfAbsent).Text(1, key).Blob(2, value).Run();
  return db_.Changes() == 1;
}

std::optional<std::string> SqliteCoordinator::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Query get(&db_, kGet);
  if (!get.Text(1, key).Step()) return std::nullopt;
  return get.Bytes(0);
}

std::vector<std::string> SqliteCoordinator::ListKeys(
    const std::string& prefix) {
  std::string end = PrefixEnd(prefix);
  std::vector<std::string> keys;
  std::lock_guard<std::mutex> lock(mu_);
  Query list(&db_, kListKeys);
  list.PrefixRange(prefix, end);
  while (list.Step()) keys.push_back(list.Bytes(0));
  return keys;
}

void SqliteCoordinator::DeletePrefix(const std::string& prefix) {
  std::string end = PrefixEnd(prefix);
  std::lock_guard<std::mutex> lock(mu_);
  WriteTransaction txn(&db_);
  for (Sql sql : {kDeleteRecords, kDeleteCounters, kDeleteOnceTokens,
                  kDeleteEvents, kDeleteMessages}) {
    Query(&db_, sql).PrefixRange(prefix, end).Run();
  }
  txn.Commit();
}

int64_t SqliteCoordinator::Add(const std::string& counter, int64_t delta) {
  std::lock_guard<std::mutex> lock(mu_);
  return AddLocked(counter, delta);
}

int64_t SqliteCoordinator::AddLocked(const std::string& counter,
                                     int64_t delta) {
  if (delta == 0) {
    Query read(&db_, kCounter);
    return read.Text(1, counter).Step() ? read.Int(0) : 0;
  }
  Query add(&db_, kAdd);
  add.Text(1, counter).Int(2, delta).Step();
  int64_t value = add.Int(0);
  add.Run();  // RETURNING: the write completes when the statement does
  return value;
}

std::vector<OnceAddResult> SqliteCoordinator::AddOnce(
    const std::vector<OnceAdd>& adds) {
  std::vector<OnceAddResult> results;
  if (adds.empty()) return results;
  results.reserve(adds.size());
  std::lock_guard<std::mutex> lock(mu_);
  WriteTransaction txn(&db_);
  {
    Query remember(&db_, kOnceToken);
    for (const OnceAdd& add : adds) {
      remember.Text(1, add.counter).Blob(2, add.token).Run();
      bool added = db_.Changes() == 1;
      results.push_back(
          OnceAddResult{AddLocked(add.counter, added ? add.delta : 0), added});
    }
  }
  txn.Commit();
  return results;
}

uint64_t SqliteCoordinator::LastSeq(const std::string& stream) {
  Query last(&db_, kLastSeq);
  last.Text(1, stream).Step();
  return last.IsNull(0) ? 0 : static_cast<uint64_t>(last.Int(0));
}

uint64_t SqliteCoordinator::Append(const std::string& stream,
                                   const std::vector<std::string>& events) {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    WriteTransaction txn(&db_);
    seq = LastSeq(stream);
    if (events.empty()) return seq;
    {
      Query append(&db_, kAppend);
      append.Text(1, stream);
      for (const std::string& event : events) {
        append.Int(2, static_cast<int64_t>(++seq)).Blob(3, event).Run();
      }
    }
    txn.Commit();
  }
  NotifyFile::Bump(notify_.Slot(NotifyFile::kStream, stream));
  return seq;
}

std::vector<Event> SqliteCoordinator::Read(const std::string& stream,
                                           uint64_t after, int max,
                                           Millis wait) {
  Clock::time_point deadline = Clock::now() + wait;
  uint32_t* slot = notify_.Slot(NotifyFile::kStream, stream);
  for (;;) {
    uint32_t seen = NotifyFile::Load(slot);
    std::vector<Event> events = TryRead(stream, after, max);
    Clock::time_point now = Clock::now();
    if (!events.empty() || max <= 0 || now >= deadline) return events;
    NotifyFile::Wait(
        slot, seen,
        std::min(kMaxFutexWait, std::chrono::ceil<Millis>(deadline - now)));
  }
}

std::vector<Event> SqliteCoordinator::TryRead(const std::string& stream,
                                              uint64_t after, int max) {
  std::vector<Event> events;
  if (max <= 0) return events;
  std::lock_guard<std::mutex> lock(mu_);
  Query read(&db_, kRead);
  read.Text(1, stream);
  read.Int(2, static_cast<int64_t>(std::min<uint64_t>(after, INT64_MAX)));
  read.Int(3, max);
  while (read.Step()) {
    events.push_back(Event{static_cast<uint64_t>(read.Int(0)), read.Bytes(1)});
  }
  return events;
}

std::vector<bool> SqliteCoordinator::CommitResults(
    const std::vector<Commit>& commits) {
  std::vector<bool> won(commits.size(), false);
  std::map<std::string, uint64_t> last_seq;  // of each stream appended to
  {
    std::lock_guard<std::mutex> lock(mu_);
    WriteTransaction txn(&db_);
    {
      Query insert(&db_, kPutIfAbsent);
      Query append(&db_, kAppend);
      Query ack(&db_, kAck);
      for (size_t i = 0; i < commits.size(); ++i) {
        const Commit& commit = commits[i];
        insert.Text(1, commit.key).Blob(2, commit.value).Run();
        won[i] = db_.Changes() == 1;
        if (won[i] && !commit.stream.empty()) {
          auto it = last_seq.find(commit.stream);
          if (it == last_seq.end()) {
            it = last_seq.emplace(commit.stream, LastSeq(commit.stream)).first;
          }
          append.Text(1, commit.stream).Blob(3, commit.value);
          append.Int(2, static_cast<int64_t>(++it->second)).Run();
        }
        if (!commit.queue.empty()) {
          AckOne(&ack, commit.queue, commit.message_id);
        }
      }
    }
    txn.Commit();
  }
  for (const auto& entry : last_seq) {
    NotifyFile::Bump(notify_.Slot(NotifyFile::kStream, entry.first));
  }
  return won;
}

}  // namespace

std::unique_ptr<Coordinator> OpenSqliteCoordinator(const Uri& uri) {
  std::string text = "sqlite://" + uri.authority + uri.path;
  if (!uri.authority.empty() || uri.path.empty() || uri.path.back() == '/') {
    throw Error(ErrorCode::kInvalidArgument,
                "bad sqlite coordinator URI '" + text +
                    "': expected sqlite:///abs/path/file.db");
  }
  if (!uri.query.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "unknown parameter '" + uri.query.begin()->first +
                    "' in sqlite coordinator URI '" + text + "'");
  }
  std::filesystem::path path(uri.path);
  std::error_code ec;
  std::filesystem::path dir =
      std::filesystem::canonical(path.parent_path(), ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw Error(ErrorCode::kNotFound,
                "sqlite coordinator directory " + path.parent_path().string() +
                    " does not exist (from '" + text + "')");
  }
  return std::make_unique<SqliteCoordinator>(
      text, (dir / path.filename()).string(), uri.path);
}

}  // namespace tern
