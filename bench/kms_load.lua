-- SPDX-License-Identifier: Apache-2.0
-- wrk script for bench/kms_load.sh: POST keyprov through nginx for many users,
-- each request with the user's own access token.
--
-- Environment:
--   KMS_LOAD_TOKENS  Lua file returning { {uri = "...", token = "..."}, ... }
--   KMS_LOAD_NTP     optional 16 hex digits: request that NTP time's key period
--                    (keyprov/<uri>/<ntp>, the prefetch path) instead of keyprov
--   KMS_LOAD_RESULT  optional file: one line "requests errors rps p50_ms p99_ms"

local users = dofile(assert(os.getenv("KMS_LOAD_TOKENS"), "KMS_LOAD_TOKENS not set"))
local ntp = os.getenv("KMS_LOAD_NTP")
local root = "/keymanagement/identity/v1/keyprov"

local function pct_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- Pre-formatted requests, one per user; each thread starts at its own offset.
local requests = {}
local next_index = 1
local threads_started = 0 -- main state only

function setup(thread)
  thread:set("kms_thread_no", threads_started)
  threads_started = threads_started + 1
end

function init(args)
  for i, u in ipairs(users) do
    local path = root
    if ntp ~= nil and ntp ~= "" then
      path = root .. "/" .. pct_encode(u.uri) .. "/" .. ntp
    end
    requests[i] = wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. u.token,
      ["Content-Type"] = "application/xml",
      ["Accept"] = "application/xml",
      ["Content-Length"] = "0",
    }, "")
  end
  next_index = 1 + ((kms_thread_no or 0) * 7919) % #requests
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, requests_unused)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  local rps = summary.requests / seconds
  local p50 = latency:percentile(50) / 1000
  local p99 = latency:percentile(99) / 1000
  io.write(string.format(
    "kms_load: %d requests in %.1f s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms; " ..
    "errors: connect %d read %d write %d status %d timeout %d\n",
    summary.requests, seconds, rps, p50, p99, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
  local out = os.getenv("KMS_LOAD_RESULT")
  if out ~= nil and out ~= "" then
    local f = assert(io.open(out, "w"))
    f:write(string.format("%d %d %.0f %.3f %.3f\n", summary.requests, errors, rps, p50, p99))
    f:close()
  end
end
