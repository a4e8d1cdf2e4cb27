// One synchronous connection to a Redis server, for the redis:// Coordinator,
// and the settings it reads from a redis:// URI.
//
//   redis://[user[:password]@]host[:port][/db]?prefix=name/&timeout=5s
//
// The password may instead come from $TERN_REDIS_PASSWORD. Every key the
// coordinator makes starts with prefix (default "tern/"), so one server can
// hold many independent deployments. timeout bounds connecting and every
// command's round trip (default 5s; units ms, s or m).
//
// A RedisConnection is not thread-safe: its owner serializes calls.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/coordinator.h"
#include "tern/errors.h"
#include "util/uri.h"

struct redisContext;
struct redisReply;

namespace tern {

struct RedisConfig {
  std::string host;
  int port = 6379;
  std::string user;      // empty: Redis's default user
  std::string password;  // empty: no AUTH
  int db = 0;
  Millis timeout{5000};
  std::string prefix = "tern/";
  std::string masked_uri;  // the URI as given, with the password masked

  // Reads uri, parsed from text. Throws Error(kInvalidArgument) naming the URI
  // (without the password) when it is malformed.
  static RedisConfig FromUri(const Uri& uri, const std::string& text);
  // "host:port", for messages.
  std::string Endpoint() const;
};

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisConnection {
 public:
  // Connects, authenticates and selects the database. Throws
  // Error(kUnavailable) naming host:port when the server cannot be reached
  // within config.timeout, Error(kPermissionDenied) naming the user (never the
  // password) when it refuses the credentials.
  explicit RedisConnection(const RedisConfig& config);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command (binary-safe arguments) and returns its reply, which
  // may be an error reply. Throws Error(kUnavailable) on an I/O error or time
  // out; the connection is broken() from then on.
  RedisReply Send(const std::vector<std::string_view>& args);
  // As Send(), but throws Error for an error reply too.
  RedisReply Command(const std::vector<std::string_view>& args);
  // Sends every command, then reads every reply: one round trip.
  std::vector<RedisReply> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands);

  // How long later commands may take to answer.
  void SetTimeout(Millis timeout);
  bool broken() const;

 private:
  [[noreturn]] void FailIo() const;

  const RedisConfig& config_;
  redisContext* context_;
};

// Throws the Error for an error reply, its message naming the endpoint.
[[noreturn]] void ThrowReplyError(const RedisConfig& config,
                                  const redisReply& reply);

// Throws Error(kCorruption) unless reply has type `type` (a REDIS_REPLY_*
// value) and, for an array, at least min_elements elements.
void ExpectReply(const RedisConfig& config, const redisReply& reply, int type,
                 size_t min_elements = 0);

}  // namespace tern
