-- wrk script for bench/soak.sh: a mix of reads and writes. $BODIES names JSON body files,
-- separated by commas, each with a weight (`file:3`); in a body, the text %N% becomes a number
-- unique to the request (a new area's or person's name), so writes never collide. Every
-- response's status and GraphQL error codes are counted, and the run ends with lines of
--   RESULT requests=N rps=N p50_us=N p90_us=N p99_us=N max_us=N socket_errors=N
--   STATUS <code> <count>
--   CODE <GraphQL extensions.code> <count>

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local bodies = {}
for item in string.gmatch(assert(os.getenv("BODIES"), "set BODIES"), "[^,]+") do
  local file, weight = item:match("^(.-):(%d+)$")
  file = file or item
  local f = assert(io.open(file, "rb"))
  local body = f:read("*a")
  f:close()
  for _ = 1, tonumber(weight or "1") do
    table.insert(bodies, body)
  end
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  codes = {}
  math.randomseed(os.time() + id * 7919)
end

function request()
  counter = counter + 1
  local body = bodies[math.random(#bodies)]
  body = body:gsub("%%N%%", string.format("%d-%d-%d", os.time() % 100000, id, counter))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if body then
    for code in body:gmatch('"code":"([A-Z_]+)"') do
      codes[code] = (codes[code] or 0) + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout))
  local total_statuses, total_codes = {}, {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do
      total_statuses[k] = (total_statuses[k] or 0) + v
    end
    for k, v in pairs(thread:get("codes") or {}) do
      total_codes[k] = (total_codes[k] or 0) + v
    end
  end
  for k, v in pairs(total_statuses) do
    io.write(string.format("STATUS %s %d\n", k, v))
  end
  for k, v in pairs(total_codes) do
    io.write(string.format("CODE %s %d\n", k, v))
  end
end
