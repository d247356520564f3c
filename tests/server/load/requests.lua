-- wrk request generator for run.sh. KC_MODE: verify (same probe every time), verify-distinct
-- (each probe made unique by its first seek time) or save (unique patterns over 1,000 users).
local mode = os.getenv("KC_MODE")
local auth = os.getenv("KC_AUTH")
local probe = io.open(os.getenv("KC_PROBE")):read("*a")
local header, first_press, rest = probe:match("^([^|]*)|%d+,(%d+)|(.*)$")
local counter = 0
local threads = 0

-- Runs in the main Lua state: gives each thread's state its own global `id`.
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function unique_pattern()
  counter = counter + 1
  local seek = 100000 + id * 10000000 + counter
  return header .. "|" .. seek .. "," .. first_press .. "|" .. rest
end

function request()
  local path, tp
  if mode == "save" then
    path = "/save/load-user-" .. id .. "-" .. (counter % 500)
    tp = unique_pattern()
  elseif mode == "verify-distinct" then
    path = "/verify/load-user-000"
    tp = unique_pattern()
  else
    path = "/verify/load-user-000"
    tp = probe
  end
  return wrk.format("POST", path, {
    ["Authorization"] = "Basic " .. auth,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "tp=" .. encode(tp))
end
