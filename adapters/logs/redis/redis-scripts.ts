/**
 * The Lua scripts the Redis log runs: publishing an entry with its epoch
 * and the id before it, and reading one page of a replay in one atomic step.
 *
 * @module
 */

// The log's ids are `<epoch>-<stream id>`. The epoch lives in a key of its
// own, beside the stream (KEYS[2], see epochKey), and in every entry (field
// e), so the follower and a replay make ids without asking for it. A stream
// that does not exist (never made, deleted, or Redis restarted empty) starts
// a new history: a new epoch, so the cursors of the old one get reset. The
// epoch is made by the caller (ARGV[3], random): a script's own random
// numbers are the same on every run.
// Every entry also records the id before it (field p): a replay can then
// tell a cursor whose successor is still there from one whose successors
// were trimmed. Redis's own max-deleted-entry-id does not count trimming.
// KEYS[1] the stream, KEYS[2] its epoch; ARGV: topics, body, a new epoch,
// trim arguments. Returns the entry's id.
/** @internal */
export const PUBLISH = `
local epoch = redis.call('GET', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 or not epoch or not string.match(epoch, '^' .. string.rep('[0-9a-z]', 14) .. '$') then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local command = {'XADD', KEYS[1]}
for i = 4, #ARGV do command[#command + 1] = ARGV[i] end
for _, value in ipairs({'*', 'e', epoch, 'p', newest and newest[1] or '0-0', 't', ARGV[1], 'b', ARGV[2]}) do
  command[#command + 1] = value
end
return epoch .. '-' .. redis.call(unpack(command))
`;
// KEYS[1] the stream, KEYS[2] its epoch; ARGV: the cursor's epoch and
// stream id ('' if the cursor is not of this shape), the page's entry and
// byte bounds, the entries it may look at, the topics. Returns { the newest
// id or '', 1 if replayable else 0, matching entries, the id to read on
// from or '' when the page reached the newest entry }. A cursor of another
// epoch is another history's. Nothing after the cursor was trimmed when it
// is still there, or when the entry after it names it as its predecessor
// (field p).
/** @internal */
export const REPLAY = `
local function ours(f) return #f == 8 and f[1] == 'e' and f[3] == 'p' and f[5] == 't' and f[7] == 'b' end
local epoch = redis.call('GET', KEYS[2])
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not newest or not epoch then return {'', 0, {}, ''} end
newest = newest[1]
local head = epoch .. '-' .. newest
if ARGV[2] == '' or ARGV[1] ~= epoch then return {head, 0, {}, ''} end
local cursor = ARGV[2]
local after = redis.call('XRANGE', KEYS[1], '(' .. cursor, '+', 'COUNT', 1)[1]
local replayable
if not after then replayable = cursor == newest
else
  replayable = (ours(after[2]) and after[2][4] == cursor)
    or #redis.call('XRANGE', KEYS[1], cursor, cursor) == 1
end
if not replayable then return {head, 0, {}, ''} end
local maxEntries, maxBytes, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local found, size, seen, from = {}, 0, 0, '(' .. cursor
while true do
  local count = math.min(100, budget - seen)
  local page = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', count)
  for _, entry in ipairs(page) do
    seen = seen + 1
    local f = entry[2]
    if ours(f) then
      for j = 6, #ARGV do
        if string.find(f[6], '\\n' .. ARGV[j] .. '\\n', 1, true) then
          found[#found + 1] = entry
          -- The message's bytes: 'id: ', the id, LF, then the body.
          size = size + #f[2] + #entry[1] + 6 + #f[8]
          break
        end
      end
    end
    if #found >= maxEntries or size >= maxBytes or seen >= budget then
      return {head, 1, found, entry[1] == newest and '' or epoch .. '-' .. entry[1]}
    end
  end
  if #page < count then return {head, 1, found, ''} end
  from = '(' .. page[#page][1]
end
`;
// Entries one replay call looks at, at most: about 1000 x 4 KiB keep Redis
// busy for a few milliseconds.
/** @internal */
export const REPLAY_SCAN = '1000';
