-- wrk script for bench/intake.py: every request a distinct pre-signed Sofia Plus webhook.
-- BENCH_REQUESTS names a file of lines "webhook-id \t timestamp \t signature \t body"; thread n
-- of t sends lines n, n+t, n+2t, ... so no two requests share a webhook-id. A thread that runs
-- out starts again from its first line and counts the repeats (the bench must size the file so
-- that never happens; rows stored = 202s is checked against the database).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests_ = {}
  local n = 0
  local every = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if n % every == index then
      local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {
        ["Content-Type"] = "application/json",
        ["webhook-id"] = id,
        ["webhook-timestamp"] = ts,
        ["webhook-signature"] = sig,
      }
      table.insert(requests_, wrk.format("POST", os.getenv("BENCH_PATH"), headers, body))
    end
    n = n + 1
  end
  next_ = 1
  repeats = 0
  accepted = 0
  others = 0
end

function request()
  local r = requests_[next_]
  next_ = next_ + 1
  if next_ > #requests_ then
    next_ = 1
    repeats = repeats + 1
  end
  return r
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  else
    others = others + 1
  end
end

function done(summary, latency, requests)
  local a, o, r = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    o = o + thread:get("others")
    r = r + thread:get("repeats")
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "accepted": %d, "others": %d, "wrapped": %d, '
      .. '"errors": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration, a, o, r,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
