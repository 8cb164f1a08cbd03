/**
 * The Lua scripts of the MCP event stores on Redis: each operation on a
 * session's events is one script, so it is atomic, on a single Redis and on
 * a Cluster (both keys of a session share its hash tag, so its slot).
 *
 * A session is two keys: KEYS[1] a hash (e: the epoch, n: the last event's
 * number, b: the bytes kept) and KEYS[2] a stream whose entry `0-<n>` is
 * event n (fields s: its stream id, m: its message, t: when it was stored,
 * by Redis's clock, so every process ages events alike). A hash without an
 * epoch is a session never written, expired or deleted: the next append
 * starts a new history, with a new epoch, and ids of the old one are
 * unknown.
 *
 * @module
 */

// Redis's clock in milliseconds; `oldest` is the time before which an
// event is too old (ARGV[n], empty when no age bound).
const CLOCK = `
local function clock()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function oldest(maxAge)
  maxAge = tonumber(maxAge)
  return maxAge and clock() - maxAge or nil
end
`;

// ARGV: a new epoch (made by the caller: a script's random numbers are the
// same on every run), the stream id, the message, maxEntries, maxBytes,
// maxAge ('' for none), the keys' time to live in ms. Returns { epoch, n }.
// Trimming drops the oldest events first, and looks at 1000 at most per
// append, so one append never holds Redis long; each later append goes on.
/** @internal */
export const APPEND = `${CLOCK}
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'n', 0, 'b', 0)
end
local now = clock()
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('XADD', KEYS[2], '0-' .. n, 's', ARGV[2], 'm', ARGV[3], 't', now)
local bytes = redis.call('HINCRBY', KEYS[1], 'b', #ARGV[2] + #ARGV[3] + 48)
local count = redis.call('XLEN', KEYS[2])
local maxEntries, maxBytes, maxAge = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local before = maxAge and now - maxAge or nil
if count > maxEntries or bytes > maxBytes or before then
  local from, batch, looked, dropped = '-', 1, 0, nil
  while looked < 1000 do
    local page = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', batch)
    local kept = #page == 0
    for _, entry in ipairs(page) do
      local f = entry[2]
      if count > maxEntries or bytes > maxBytes or (before and tonumber(f[6]) < before) then
        count, bytes, dropped, looked = count - 1, bytes - (#f[2] + #f[4] + 48), entry[1], looked + 1
      else
        kept = true
        break
      end
    end
    if kept then break end
    from, batch = '(' .. page[#page][1], 100
  end
  if dropped then
    redis.call('XTRIM', KEYS[2], 'MINID', '0-' .. (tonumber(string.sub(dropped, 3)) + 1))
    redis.call('HSET', KEYS[1], 'b', bytes)
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {epoch, n}
`;

// ARGV: the id's epoch and number, maxAge. Returns the event's stream id,
// or nil when the id is not of this history, trimmed, or too old.
/** @internal */
export const STREAM_OF = `${CLOCK}
if redis.call('HGET', KEYS[1], 'e') ~= ARGV[1] then return false end
local entry = redis.call('XRANGE', KEYS[2], '0-' .. ARGV[2], '0-' .. ARGV[2])[1]
if not entry then return false end
local before = oldest(ARGV[3])
if before and tonumber(entry[2][6]) < before then return false end
return entry[2][2]
`;

// ARGV: the cursor's epoch and number, the stream ('' for the cursor's own),
// the page's events, its bytes, the entries it may look at, maxAge. With a
// stream given, the cursor may be an event of any stream (where the last
// call stopped looking), and nothing after it may have been trimmed.
// Returns nil when the cursor is unknown (or events after it are gone), else
// { the stream, 'end' (looked up to the newest event), 'more' (the page is
// full and the stream has more) or 'scan' (looked at as many as it may; read
// on from the next value), the number of the last event looked at, then the
// page's events as number, message, number, message ... }.
/** @internal */
export const AFTER = `${CLOCK}
if redis.call('HGET', KEYS[1], 'e') ~= ARGV[1] then return false end
local from, stream = ARGV[2], ARGV[3]
if stream == '' then
  local entry = redis.call('XRANGE', KEYS[2], '0-' .. from, '0-' .. from)[1]
  if not entry then return false end
  local before = oldest(ARGV[7])
  if before and tonumber(entry[2][6]) < before then return false end
  stream = entry[2][2]
else
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  first = first and tonumber(string.sub(first[1], 3)) or tonumber(redis.call('HGET', KEYS[1], 'n')) + 1
  if first > tonumber(from) + 1 then return false end
end
local limit, maxBytes, budget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local found, size, seen, last, cursor = {}, 0, 0, from, '(0-' .. from
while true do
  local count = math.min(100, budget - seen)
  local page = redis.call('XRANGE', KEYS[2], cursor, '+', 'COUNT', count)
  for _, entry in ipairs(page) do
    local f = entry[2]
    if f[2] == stream then
      if #found >= 2 * limit or size >= maxBytes then return {stream, 'more', last, found} end
      found[#found + 1] = string.sub(entry[1], 3)
      found[#found + 1] = f[4]
      size = size + #f[4]
    end
    seen, last = seen + 1, string.sub(entry[1], 3)
    if seen >= budget then return {stream, 'scan', last, found} end
  end
  if #page < count then return {stream, 'end', last, found} end
  cursor = '(' .. page[#page][1]
end
`;
