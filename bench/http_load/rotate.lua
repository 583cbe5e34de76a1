-- wrk script: sends prepared requests, each line "METHOD<TAB>PATH<TAB>AUTHORIZATION<TAB>BODY".
-- Arguments: a file played once from the start, then a file played in a loop (either may be
-- empty, not both). Counts the answers outside 2xx and prints one result line at the end.

local once, cycle, sent = {}, {}, 0
local threads = {}
non2xx = 0

local function load(path, into)
  if path == nil or path == "" then return end
  for line in io.lines(path) do
    local method, target, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if auth ~= "" then headers["Authorization"] = auth end
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    into[#into + 1] = wrk.format(method, target, headers, body)
  end
end

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  load(args[1], once)
  load(args[2], cycle)
end

function request()
  sent = sent + 1
  if sent <= #once or #cycle == 0 then
    return once[(sent - 1) % #once + 1]
  end
  return cycle[(sent - #once - 1) % #cycle + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout))
end
