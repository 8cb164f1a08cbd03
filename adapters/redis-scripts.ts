/**
 * The Lua scripts the Redis log runs: publishing an entry with the id
 * before it, and reading one page of a replay in one atomic step.
 *
 * @module
 */

// Every entry records the id before it (field p): a replay can then tell a
// cursor whose successor is still there from one whose successors were
// trimmed. Redis's own max-deleted-entry-id does not count trimming.
// KEYS[1] the stream; ARGV: topics, body, trim arguments.
/** @internal */
export const PUBLISH = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local command = {'XADD', KEYS[1]}
for i = 3, #ARGV do command[#command + 1] = ARGV[i] end
for _, value in ipairs({'*', 'p', newest and newest[1] or '0-0', 't', ARGV[1], 'b', ARGV[2]}) do
  command[#command + 1] = value
end
return redis.call(unpack(command))
`;
// KEYS[1] the stream; ARGV: the cursor ('' if not a stream id), the page's
// entry and byte bounds, the entries it may look at, the topics. Returns
// { newest id or '', 1 if replayable else 0, matching entries, the id to
// read on from or '' when the page reached the newest entry }. Nothing after
// the cursor was trimmed when it is still there, or when the entry after it
// names it as its predecessor (field p).
/** @internal */
export const REPLAY = `
local function ours(f) return #f == 6 and f[1] == 'p' and f[3] == 't' and f[5] == 'b' end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not newest or ARGV[1] == '' then return {newest and newest[1] or '', 0, {}, ''} end
newest = newest[1]
local cursor = ARGV[1]
local after = redis.call('XRANGE', KEYS[1], '(' .. cursor, '+', 'COUNT', 1)[1]
local replayable
if not after then replayable = cursor == newest
else
  replayable = (ours(after[2]) and after[2][2] == cursor)
    or #redis.call('XRANGE', KEYS[1], cursor, cursor) == 1
end
if not replayable then return {newest, 0, {}, ''} end
local maxEntries, maxBytes, budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local found, size, seen, from = {}, 0, 0, '(' .. cursor
while true do
  local count = math.min(100, budget - seen)
  local page = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', count)
  for _, entry in ipairs(page) do
    seen = seen + 1
    local f = entry[2]
    if ours(f) then
      for j = 5, #ARGV do
        if string.find(f[4], '\\n' .. ARGV[j] .. '\\n', 1, true) then
          found[#found + 1] = entry
          size = size + #f[6]
          break
        end
      end
    end
    if #found >= maxEntries or size >= maxBytes or seen >= budget then
      return {newest, 1, found, entry[1] == newest and '' or entry[1]}
    end
  end
  if #page < count then return {newest, 1, found, ''} end
  from = '(' .. page[#page][1]
end
`;
// Entries one replay call looks at, at most: about 1000 x 4 KiB keep Redis
// busy for a few milliseconds.
/** @internal */
export const REPLAY_SCAN = '1000';
