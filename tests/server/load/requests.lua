-- wrk request generator for run.sh. KC_MODE: verify (same probe every time), verify-distinct
-- (each probe made unique by its first seek time), save (unique patterns over 1,000 users) or
-- otp-validate (the JSON bodies of KC_BODIES, one a line, each sent once; thread `id` of
-- KC_THREADS sends lines id+1, id+1+KC_THREADS, ...).
local mode = os.getenv("KC_MODE")
local auth = os.getenv("KC_AUTH")
local probe = io.open(os.getenv("KC_PROBE")):read("*a")
local bodies = nil
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

-- Several wrk processes (one per server) each get their own KC_INSTANCE, so that their users
-- and patterns differ too.
local instance = tonumber(os.getenv("KC_INSTANCE") or "0")

local function unique_pattern()
  counter = counter + 1
  local seek = 100000 + (instance * 16 + id) * 10000000 + counter
  return header .. "|" .. seek .. "," .. first_press .. "|" .. rest
end

local function next_body()
  if bodies == nil then
    bodies = {}
    local threads_total = tonumber(os.getenv("KC_THREADS"))
    local n = 0
    for line in io.lines(os.getenv("KC_BODIES")) do
      if n % threads_total == id then bodies[#bodies + 1] = line end
      n = n + 1
    end
  end
  counter = counter + 1
  -- Past the end the bodies repeat: those answers are replays, counted apart by run.sh.
  return bodies[(counter - 1) % #bodies + 1]
end

function request()
  local path, tp
  if mode == "otp-validate" then
    return wrk.format("POST", "/otp/validate", {["Content-Type"] = "application/json"}, next_body())
  end
  if mode == "save" then
    path = "/save/load-user-" .. instance .. "-" .. id .. "-" .. (counter % 500)
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
