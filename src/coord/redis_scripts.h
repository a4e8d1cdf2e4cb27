// The Lua scripts behind the redis:// Coordinator's compound operations. Each
// runs atomically on the server, in one round trip, and takes "now" from the
// server's TIME (in ms), so the clocks of the hosts that call it never matter.
//
// A queue Q is three keys (see redis_coordinator.cc for the full layout):
//   z:Q  sorted set: member = the message id zero-padded to 20 digits, score =
//        visible_at. Equal scores sort by member, so the padding makes
//        ZRANGEBYSCORE hand out (visible_at, id) order, as sqlite:// does.
//   m:Q  hash: member -> body, and "d" member -> times leased so far. One
//        hash rather than two saves a command per acked message.
//   w:Q  a stream of wake-ups: Enqueue adds an entry (keeping only the last)
//        that blocked Lease() calls XREAD for.
// Every record key is also a member of the sorted set "keys" (all scores 0),
// which ListKeys() reads in order with ZRANGEBYLEX.
#pragma once

namespace tern {

enum RedisScript {
  kEnqueueScript,
  kLeaseScript,
  kRenewScript,
  kAckScript,
  kAppendScript,
  kCommitScript,
  kPutScript,
  kDeleteRecordsScript,
  kAddOnceScript,
  kNumScripts
};

// In the order of enum RedisScript.
constexpr const char* kRedisScriptText[kNumScripts] = {
    // Enqueue. KEYS: id counter, z, m, w. ARGV: bodies.
    // Returns the last id; the batch has the ids up to it.
    R"lua(
local t = redis.call('TIME')
local now = string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000))
local n = #ARGV
local last = redis.call('INCRBY', KEYS[1], n)
for i = 1, n do
  local m = string.format('%020d', last - n + i)
  redis.call('ZADD', KEYS[2], now, m)
  redis.call('HSET', KEYS[3], m, ARGV[i])
end
redis.call('XADD', KEYS[4], 'MAXLEN', '1', '*', 'n', n)
return last
)lua",

    // Lease. KEYS: z, m, w. ARGV: max, lease ms.
    // Returns {1, member, body, delivery, ...} for what it leased, or, when
    // nothing is visible, {0, earliest visible_at or '', now, last wake id}.
    R"lua(
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now,
                           'LIMIT', 0, tonumber(ARGV[1]))
if #members > 0 then
  local visible_at = string.format('%d', now + tonumber(ARGV[2]))
  local out = {1}
  for _, m in ipairs(members) do
    redis.call('ZADD', KEYS[1], visible_at, m)
    out[#out + 1] = m
    out[#out + 1] = redis.call('HGET', KEYS[2], m) or ''
    out[#out + 1] = redis.call('HINCRBY', KEYS[2], 'd' .. m, 1)
  end
  return out
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wake = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
return {0, first[2] or '', now, wake[1] and wake[1][1] or '0-0'}
)lua",

    // Renew. KEYS: z, m. ARGV: member, delivery, lease ms.
    // Returns 1 if the message is still at that delivery, else 0.
    R"lua(
local d = redis.call('HGET', KEYS[2], 'd' .. ARGV[1])
if not d or tonumber(d) ~= tonumber(ARGV[2]) then return 0 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], 'XX', string.format('%d', now + tonumber(ARGV[3])),
           ARGV[1])
return 1
)lua",

    // Ack. KEYS: z, m. ARGV: members.
    R"lua(
for _, m in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('HDEL', KEYS[2], m, 'd' .. m)
end
return 0
)lua",

    // Append. KEYS: the event stream. ARGV: events.
    // Event seq n has stream id 0-n; streams are never trimmed, so the
    // length is the last seq. Returns it.
    R"lua(
local seq = redis.call('XLEN', KEYS[1])
for _, e in ipairs(ARGV) do
  seq = seq + 1
  redis.call('XADD', KEYS[1], string.format('0-%d', seq), 'd', e)
end
return seq
)lua",

    // CommitResults. KEYS: the record index, the record key of each of the n
    // commits, then each distinct stream, then z, m of each distinct queue.
    // ARGV: n, number of streams, then per commit: key, value, stream index
    // (0 for none), queue index (0 for none), member.
    // Returns per commit 1 if it stored its value, else 0.
    R"lua(
local n = tonumber(ARGV[1])
local streams = tonumber(ARGV[2])
local seqs = {}
local won = {}
for i = 1, n do
  local key, value = ARGV[5 * i - 2], ARGV[5 * i - 1]
  local s, q = tonumber(ARGV[5 * i]), tonumber(ARGV[5 * i + 1])
  local m = ARGV[5 * i + 2]
  if redis.call('SET', KEYS[i + 1], value, 'NX') then
    won[i] = 1
    redis.call('ZADD', KEYS[1], 0, key)
    if s > 0 then
      local stream = KEYS[n + 1 + s]
      local seq = (seqs[s] or redis.call('XLEN', stream)) + 1
      seqs[s] = seq
      redis.call('XADD', stream, string.format('0-%d', seq), 'd', value)
    end
  else
    won[i] = 0
  end
  if q > 0 then
    local base = n + 1 + streams + 2 * (q - 1)
    redis.call('ZREM', KEYS[base + 1], m)
    redis.call('HDEL', KEYS[base + 2], m, 'd' .. m)
  end
end
return won
)lua",

    // Put and PutIfAbsent. KEYS: the record, the record index.
    // ARGV: key, value, "NX" to store only if absent.
    // Returns 1 if it stored the value, else 0.
    R"lua(
if ARGV[3] == 'NX' then
  if not redis.call('SET', KEYS[1], ARGV[2], 'NX') then return 0 end
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
)lua",

    // DeletePrefix of records, a batch at a time so as not to stall the
    // server. KEYS: the record index. ARGV: ZRANGEBYLEX bounds, the prefix of
    // record keys, batch size. Returns how many records it deleted.
    R"lua(
local keys = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2],
                        'LIMIT', 0, tonumber(ARGV[4]))
for _, key in ipairs(keys) do
  redis.call('UNLINK', ARGV[3] .. key)
  redis.call('ZREM', KEYS[1], key)
end
return #keys
)lua",

    // AddOnce. KEYS: per add, the counter and its token set.
    // ARGV: per add, token, delta. Returns per add the counter's value, then
    // 1 if the token was new (delta added) or 0 for a replay. INCRBY by 0
    // reads the counter as an integer, exactly (Lua numbers are doubles).
    R"lua(
local out = {}
for i = 1, #ARGV / 2 do
  local added = redis.call('SADD', KEYS[2 * i], ARGV[2 * i - 1])
  local delta = added == 1 and ARGV[2 * i] or '0'
  out[2 * i - 1] = redis.call('INCRBY', KEYS[2 * i - 1], delta)
  out[2 * i] = added
end
return out
)lua",
};

}  // namespace tern
