-- wrk script for bench/api.sh: each request reads the next billing alias (B001, B002, ... in
-- base 36, as bench/bench_seed.cpp names them) of BENCH_ALIASES, at the path BENCH_PATH
-- ("%s" stands for the alias).
local path = os.getenv("BENCH_PATH")
local count = tonumber(os.getenv("BENCH_ALIASES") or "1000")
local digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
local paths = {}
for i = 1, count do
  local s, n = "", i
  for _ = 1, 3 do
    local d = n % 36
    s = digits:sub(d + 1, d + 1) .. s
    n = math.floor(n / 36)
  end
  paths[i] = string.format(path, "B" .. s)
end
local next_index = 0
request = function()
  next_index = next_index % count + 1
  return wrk.format(nil, paths[next_index])
end
