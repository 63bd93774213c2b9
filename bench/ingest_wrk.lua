-- wrk script of the ingest benchmark (bench/run_ingest.sh): POSTs one valid JSON body.
--   INGEST_BODY_FILE  the body, sent byte for byte (required)
--   INGEST_SIGNED     optional: lines "<webhook-id>\t<timestamp>\t<signature>" made by
--                     build/bench/ingest_sign for that body (catalog events). wrk's LuaJIT has
--                     no HMAC, so the signatures are made beforehand; each webhook-id is sent
--                     once (thread t of n takes lines t, t+n, ...), since the daemon answers a
--                     replayed id 200 "duplicate" instead of persisting it. A thread that runs
--                     out starts over, and done() says how often that happened ("wrapped").
--   INGEST_THREADS    wrk's -t, so each thread knows its share of the lines
-- done() prints one line "RESULT key=value ..." that run_ingest.sh turns into a table row.

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local text = f:read("*a")
  f:close()
  return text
end

local body = slurp(os.getenv("INGEST_BODY_FILE"))
local signed_file = os.getenv("INGEST_SIGNED")
local thread_count = tonumber(os.getenv("INGEST_THREADS") or "1")

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

-- setup() runs in the main Lua state, once per thread; the index tells a thread its lines.
local threads = {}
local next_index = 0
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

if signed_file ~= nil and signed_file ~= "" then
  local requests = {}
  local position = 0
  wrapped = 0

  function init(args)
    local n = 0
    for line in io.lines(signed_file) do
      if n % thread_count == index then
        local id, ts, sig = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
        requests[#requests + 1] = wrk.format("POST", wrk.path, {
          ["Content-Type"] = "application/json",
          ["webhook-id"] = id,
          ["webhook-timestamp"] = ts,
          ["webhook-signature"] = sig,
        }, body)
      end
      n = n + 1
    end
    assert(#requests > 0, "no signed requests for thread " .. tostring(index))
  end

  function request()
    position = position + 1
    if position > #requests then
      position = 1
      wrapped = wrapped + 1
    end
    return requests[position]
  end
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do
    wraps = wraps + (tonumber(t:get("wrapped")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "non2xx=%d socket_errors=%d timeouts=%d wrapped=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write, e.timeout, wraps))
end
