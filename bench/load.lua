-- wrk script of bench/load.py: a mix of what patients ask the site for.
-- The addresses come from the file named by DRUGINFO_PATHS, one "group path" a line.
-- At the end it prints one line of JSON: requests, duration, p50/p99 latency, errors.

local groups = {}
for line in io.lines(os.getenv("DRUGINFO_PATHS")) do
  local group, path = line:match("^(%S+)%s+(%S+)$")
  groups[group] = groups[group] or {}
  table.insert(groups[group], path)
end

-- Percentages of requests per group.
local mix = { { "pages", 50 }, { "a_z", 10 }, { "searches", 30 }, { "leaflets", 10 } }
-- The production settings trust X-Forwarded-Proto from the balancer.
local headers = { ["Host"] = "127.0.0.1", ["X-Forwarded-Proto"] = "https" }

local counter = 0

function init(args)
  counter = counter + 1
  math.randomseed(os.time() + counter)
end

function request()
  local roll = math.random(100)
  for _, entry in ipairs(mix) do
    roll = roll - entry[2]
    if roll <= 0 then
      local paths = groups[entry[1]]
      return wrk.format("GET", paths[math.random(#paths)], headers)
    end
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status 4xx/5xx": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.timeout, errors.status
  ))
end
