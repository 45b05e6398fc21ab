-- GET paths read from a file (one per line), picked at random; count non-200 answers.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do table.insert(paths, line) end
  math.randomseed(os.time() + #paths)
  ok, other = 0, 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("ok")
    o = o + thread:get("other")
  end
  io.write(string.format("RESULT ok=%d other=%d p99_us=%d\n", c, o, latency:percentile(99)))
end
