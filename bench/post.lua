-- wrk script for bench/scale.sh: POSTs the JSON body in the file named by $BODY_FILE with
-- `Authorization: Bearer $TOKEN` (when set), counts responses whose body holds a GraphQL
-- "errors" entry, and ends with one machine-readable line:
--   RESULT requests=N rps=N p50_us=N p99_us=N non2xx=N socket_errors=N graphql_errors=N

local f = assert(io.open(assert(os.getenv("BODY_FILE"), "set BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- With DELAY_MS set, each connection waits after a response before its next request, on average
-- DELAY_MS (uniformly between 0 and twice that, so that the connections do not fire in step):
-- a lighter load (bench/scale.sh's run at half of the peak rate).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "") or 0
if delay_ms > 0 then
  function delay()
    return math.random(0, 2 * delay_ms)
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  graphql_errors = 0
end

function response(status, headers, body)
  if body and body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("graphql_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d graphql_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout, errors))
end
