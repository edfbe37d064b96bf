-- wrk script for the CTI API: each connection drives calls through arrive → answer (by the
-- agent the engine offered the call to) → end, so every request is one call event and every
-- third one stores a finished call. Use one connection per thread (-tN -cN) so requests and
-- responses alternate. Set CTI_TOKEN to a bearer token of the telephony account.
-- Run by bench/cti.sh.

local token = os.getenv("CTI_TOKEN")
local counter = 0
local step = "arrive"
local call, agent
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. (token or ""),
}
local failures = 0

function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end

function request()
  if step == "arrive" then
    counter = counter + 1
    call = tid .. "-" .. counter
    return wrk.format("POST", "/api/v1/cti/calls", headers,
      '{"provincial_call_id":"' .. call .. '","caller":"13800000000","called":"12345"}')
  elseif step == "answer" then
    return wrk.format("POST", "/api/v1/cti/calls/" .. call .. "/answer", headers,
      '{"agent":"' .. agent .. '"}')
  else
    return wrk.format("POST", "/api/v1/cti/calls/" .. call .. "/end", headers, '{"by":"caller"}')
  end
end

function response(status, hdrs, body)
  if status >= 300 then
    failures = failures + 1
    if failures < 5 then print("status " .. status .. ": " .. body) end
    step = "arrive"
    return
  end
  if step == "arrive" then
    agent = body:match('"type":"call_offered","call":%d+,"agent":"([^"]+)"')
      or body:match('"agent":"([^"]+)","attempt":%d+,"call":%d+,"type":"call_offered"')
    if agent then step = "answer" else step = "arrive" end
  elseif step == "answer" then
    step = "end"
  else
    step = "arrive"
  end
end
