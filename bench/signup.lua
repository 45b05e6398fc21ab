-- POST a signup with an email no other request of the run uses; count the answers.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "run"
  created, other = 0, 0
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"b-%s-%d-%d@example.com"}', run, id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other")
  end
  io.write(string.format("RESULT created=%d other=%d p99_us=%d\n", c, o, latency:percentile(99)))
end
