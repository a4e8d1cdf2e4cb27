#include "coord/redis_connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace tern {
namespace {

[[noreturn]] void BadUri(const std::string& uri, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument,
              "bad redis coordinator URI '" + uri + "': " + why);
}

bool ParseInt(std::string_view text, int64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// User names and passwords may hold %-escaped ':', '@' or '/'.
std::string PercentDecode(const std::string& in, const std::string& uri) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) BadUri(uri, "bad %-escape in user or password");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// text with the password of its user info, if any, replaced by "****".
std::string MaskPassword(const std::string& text) {
  size_t start = text.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = std::min(text.find('/', start), text.find('?', start));
  size_t at = text.rfind('@', end);
  if (at == std::string::npos || at < start) return text;
  size_t colon = text.find(':', start);
  if (colon > at) return text;
  return text.substr(0, colon + 1) + "****" + text.substr(at);
}

// "5s", "500ms", "2m".
bool ParseDuration(const std::string& text, Millis* out) {
  size_t digits = 0;
  while (digits < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  int64_t value;
  if (!ParseInt(std::string_view(text).substr(0, digits), &value)) return false;
  std::string unit = text.substr(digits);
  if (unit == "ms") {
    *out = Millis(value);
  } else if (unit == "s") {
    *out = Millis(value * 1000);
  } else if (unit == "m") {
    *out = Millis(value * 60000);
  } else {
    return false;
  }
  return out->count() > 0;
}

// The Error for a Redis error reply, by its leading code word.
ErrorCode CodeForReply(std::string_view message) {
  std::string_view code = message.substr(0, message.find(' '));
  if (code == "NOAUTH" || code == "WRONGPASS" || code == "NOPERM") {
    return ErrorCode::kPermissionDenied;
  }
  if (code == "WRONGTYPE") return ErrorCode::kCorruption;
  if (code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" ||
      code == "READONLY" || code == "OOM" || code == "TRYAGAIN" ||
      code == "CLUSTERDOWN") {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kIOError;
}

timeval ToTimeval(Millis timeout) {
  return timeval{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
}

}  // namespace

RedisConfig RedisConfig::FromUri(const Uri& uri, const std::string& text) {
  RedisConfig config;
  std::string authority = uri.authority;
  std::string user_info;
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    user_info = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  // For messages before the URI is known good: never the password.
  std::string shown = "redis://" + authority + uri.path;
  if (!user_info.empty()) {
    size_t colon = user_info.find(':');
    config.user = PercentDecode(user_info.substr(0, colon), shown);
    if (colon != std::string::npos) {
      config.password = PercentDecode(user_info.substr(colon + 1), shown);
    }
  }
  std::string port = "6379";
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) BadUri(shown, "unclosed '['");
    config.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') BadUri(shown, "expected ':' after ']'");
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    config.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  int64_t number;
  if (config.host.empty()) BadUri(shown, "expected redis://host:port");
  if (!ParseInt(port, &number) || number < 1 || number > 65535) {
    BadUri(shown, "bad port '" + port + "'");
  }
  config.port = static_cast<int>(number);
  if (uri.path.size() > 1) {
    if (!ParseInt(std::string_view(uri.path).substr(1), &number) ||
        number < 0 || number > 1 << 20) {
      BadUri(shown, "expected a database number after the host, not '" +
                        uri.path.substr(1) + "'");
    }
    config.db = static_cast<int>(number);
  }
  for (const auto& [key, value] : uri.query) {
    if (key == "prefix") {
      config.prefix = value;
    } else if (key == "timeout") {
      if (!ParseDuration(value, &config.timeout)) {
        BadUri(shown, "bad timeout '" + value + "' (expected e.g. 5s, 500ms)");
      }
    } else {
      BadUri(shown, "unknown parameter '" + key + "'");
    }
  }
  if (const char* env = std::getenv("TERN_REDIS_PASSWORD");
      config.password.empty() && env != nullptr) {
    config.password = env;
  }
  config.masked_uri = MaskPassword(text);
  return config;
}

std::string RedisConfig::Endpoint() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void RedisReplyDeleter::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

RedisConnection::RedisConnection(const RedisConfig& config)
    : config_(config),
      context_(redisConnectWithTimeout(config.host.c_str(), config.port,
                                       ToTimeval(config.timeout))) {
  if (context_ == nullptr) {
    throw Error(ErrorCode::kUnavailable, "redis coordinator " +
                                             config_.Endpoint() +
                                             ": cannot allocate a connection");
  }
  if (context_->err) {
    std::string why = context_->errstr;
    redisFree(context_);
    throw Error(
        ErrorCode::kUnavailable,
        "redis coordinator " + config_.Endpoint() + ": cannot connect: " + why);
  }
  try {
    SetTimeout(config.timeout);
    if (!config.password.empty()) {
      std::vector<std::string_view> auth = {"AUTH", config.password};
      if (!config.user.empty()) auth.insert(auth.begin() + 1, config.user);
      RedisReply reply = Send(auth);
      if (reply->type == REDIS_REPLY_ERROR) {
        std::string user = config.user.empty() ? "default" : config.user;
        throw Error(ErrorCode::kPermissionDenied,
                    "redis coordinator " + config_.Endpoint() +
                        ": authentication as user '" + user +
                        "' failed: " + std::string(reply->str, reply->len));
      }
    }
    if (config.db != 0) Command({"SELECT", std::to_string(config.db)});
  } catch (...) {
    redisFree(context_);
    throw;
  }
}

RedisConnection::~RedisConnection() { redisFree(context_); }

void RedisConnection::SetTimeout(Millis timeout) {
  if (redisSetTimeout(context_, ToTimeval(timeout)) != REDIS_OK) FailIo();
}

bool RedisConnection::broken() const { return context_->err != 0; }

void RedisConnection::FailIo() const {
  std::string why = context_->errstr;
  // A socket time out shows as EAGAIN.
  if (why.find("temporarily unavailable") != std::string::npos ||
      why.find("timed out") != std::string::npos) {
    why = "no answer within the time out";
  }
  throw Error(ErrorCode::kUnavailable,
              "redis coordinator " + config_.Endpoint() + ": " + why);
}

RedisReply RedisConnection::Send(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (std::string_view arg : args) {
    argv.push_back(arg.data() != nullptr ? arg.data() : "");
    lengths.push_back(arg.size());
  }
  void* reply = redisCommandArgv(context_, static_cast<int>(argv.size()),
                                 argv.data(), lengths.data());
  if (reply == nullptr) FailIo();
  return RedisReply(static_cast<redisReply*>(reply));
}

RedisReply RedisConnection::Command(const std::vector<std::string_view>& args) {
  RedisReply reply = Send(args);
  if (reply->type == REDIS_REPLY_ERROR) ThrowReplyError(config_, *reply);
  return reply;
}

std::vector<RedisReply> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string_view>>& commands) {
  for (const std::vector<std::string_view>& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (std::string_view arg : args) {
      argv.push_back(arg.data() != nullptr ? arg.data() : "");
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                               argv.data(), lengths.data()) != REDIS_OK) {
      FailIo();
    }
  }
  std::vector<RedisReply> replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK) FailIo();
    replies.emplace_back(static_cast<redisReply*>(reply));
  }
  return replies;
}

void ThrowReplyError(const RedisConfig& config, const redisReply& reply) {
  std::string message(reply.str, reply.len);
  throw Error(CodeForReply(message),
              "redis coordinator " + config.Endpoint() + ": " + message);
}

void ExpectReply(const RedisConfig& config, const redisReply& reply, int type,
                 size_t min_elements) {
  if (reply.type == REDIS_REPLY_ERROR) ThrowReplyError(config, reply);
  if (reply.type == type &&
      (type != REDIS_REPLY_ARRAY || reply.elements >= min_elements)) {
    return;
  }
  throw Error(ErrorCode::kCorruption,
              "redis coordinator " + config.Endpoint() +
                  ": unexpected reply of type " + std::to_string(reply.type) +
                  " (expected " + std::to_string(type) + ")");
}

}  // namespace tern
