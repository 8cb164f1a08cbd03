/**
 * The Lua scripts of the Redis stream store: each operation of a resumable
 * stream is one script, so it is atomic on one server and on Redis Cluster
 * (every key of a stream shares its hash tag, so one slot).
 *
 * @module
 */

// A stream's keys: KEYS[1] a list of its bodies (RPUSH; entry n is at index
// n - 1), KEYS[2] its meta hash: t token, e epoch, n count, b bytes (UTF-8:
// Lua's # counts bytes), d the lease's deadline, k the retention, s the end's
// state ('' or absent while active), r its reason. The channel of its notices
// is KEYS[1] .. ':w' (a name, not a key). The lease's deadline is in Redis's
// clock (TIME), the one clock every instance shares; scripts replicate by
// effects, so TIME is allowed in them.
// look() is the stream as it is now: nil when the meta is gone (never
// claimed, or retention ran out), and ended errored producer-lost, right
// there, when its lease ran out without an end: every script checks it
// first, so no reader waits for a producer that is gone.
const PRELUDE = `
local clock
local function now()
  if not clock then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock
end
local function keep(ms)
  redis.call('PEXPIRE', KEYS[1], ms)
  redis.call('PEXPIRE', KEYS[2], ms)
end
local function finish(s, state, reason)
  s.state, s.reason = state, reason
  redis.call('HSET', KEYS[2], 's', state, 'r', reason)
  keep(s.retention)
  redis.call('PUBLISH', KEYS[1] .. ':w', 'e')
end
local function look()
  local m = redis.call('HMGET', KEYS[2], 't', 'e', 'n', 'b', 'd', 'k', 's', 'r')
  if not m[1] then return nil end
  local s = {token = m[1], epoch = m[2], n = tonumber(m[3]), bytes = tonumber(m[4]),
    deadline = tonumber(m[5]), retention = tonumber(m[6]), state = m[7] or '', reason = m[8] or ''}
  if s.state == '' and s.deadline <= now() then finish(s, 'errored', 'producer-lost') end
  return s
end
local function renew(s, lease, retention, ...)
  redis.call('HSET', KEYS[2], 'd', now() + lease, 'k', retention, ...)
  keep(lease + retention)
end
`;

// ARGV: token, epoch, lease, retention. 1 when claimed; 0 when the id is
// taken (any key of it exists: active, ended, or being written).
/** @internal */
export const CLAIM = `${PRELUDE}
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
local lease, retention = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', KEYS[2], 't', ARGV[1], 'e', ARGV[2], 'n', 0, 'b', 0, 's', '')
renew({}, lease, retention)
return 1
`;

// ARGV: token, at, maxBytes, lease, retention, bodies... Returns {1, epoch,
// at} (the bodies' ids are <epoch>-<at + 1>...), {0, state, reason} when
// refused (ended: its end; gone, or not the token's: errored producer-lost),
// {2, count} when at is past the count. Of bodies already there (a retried append), only
// what is missing is added.
/** @internal */
export const APPEND = `${PRELUDE}
local s = look()
if not s then return {0, 'errored', 'producer-lost'} end
if s.state ~= '' then return {0, s.state, s.reason} end
if s.token ~= ARGV[1] then return {0, 'errored', 'producer-lost'} end
local at, lease, retention = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
if at > s.n then return {2, s.n} end
local first = 6 + s.n - at
local size = 0
for i = first, #ARGV do size = size + #ARGV[i] end
if s.bytes + size > tonumber(ARGV[3]) then
  s.retention = retention
  finish(s, 'errored', 'too-large')
  return {0, s.state, s.reason}
end
local added = 0
while first + added <= #ARGV do
  local last = math.min(first + added + 999, #ARGV)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, first + added, last))
  added = last - first + 1
end
if added > 0 then
  -- The notice carries what was appended when it is small, so a reader at
  -- the tip takes it without reading: 'b' and {epoch, first counter, bodies}.
  local note = 'a'
  if added <= 256 and size <= 65536 then
    local bodies = {}
    for i = first, #ARGV do bodies[#bodies + 1] = ARGV[i] end
    note = 'b' .. cjson.encode({s.epoch, s.n + 1, bodies})
  end
  redis.call('PUBLISH', KEYS[1] .. ':w', note)
end
renew(s, lease, retention, 'n', s.n + added, 'b', s.bytes + size)
return {1, s.epoch, at}
`;

// ARGV: token, lease, retention. 1 when renewed, 0 when the stream is not
// the token's to write.
/** @internal */
export const RENEW = `${PRELUDE}
local s = look()
if not s or s.state ~= '' or s.token ~= ARGV[1] then return 0 end
renew(s, tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
`;

// ARGV: '1' and the token, or '0' and '' (a stop from anywhere); the state,
// the reason ('' for none), the retention. 1 when this call wrote the end.
/** @internal */
export const END = `${PRELUDE}
local s = look()
if not s or s.state ~= '' or (ARGV[1] == '1' and s.token ~= ARGV[2]) then return 0 end
s.retention = tonumber(ARGV[5])
finish(s, ARGV[3], ARGV[4])
return 1
`;

// ARGV: the cursor's epoch ('' for none: from the start; '!' for a cursor
// of no stream's shape), its counter, the page's limit. Returns {state,
// reason, epoch, from, ended, bodies...}: the bodies after the cursor, the
// first of them entry from + 1; ended 1 when the page reaches the end entry.
// A cursor not of this stream (another epoch, past the count) reads nothing,
// 'unknown'.
/** @internal */
export const READ = `${PRELUDE}
local s = look()
if not s then return {'unknown'} end
local from = 0
if ARGV[1] ~= '' then
  from = tonumber(ARGV[2])
  if ARGV[1] ~= s.epoch or from > s.n then return {'unknown'} end
end
local bodies = redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[3]) - 1)
local ended = (s.state ~= '' and from + #bodies == s.n) and 1 or 0
local reply = {s.state == '' and 'active' or s.state, s.reason, s.epoch, from, ended}
for _, body in ipairs(bodies) do reply[#reply + 1] = body end
return reply
`;

// No ARGV. The state, after the same lease check.
/** @internal */
export const STATUS = `${PRELUDE}
local s = look()
if not s then return 'unknown' end
return s.state == '' and 'active' or s.state
`;
