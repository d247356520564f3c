-- wrk request generator for run.sh: POST to KC_PATH (/otp/validate by default) the bodies read
-- from KC_BODIES (one JSON body per line, each for a different user). Each wrk thread walks its own share of the lines, so
-- no two connections send the same user at once.
local bodies = {}
for line in io.lines(os.getenv("KC_BODIES")) do
  bodies[#bodies + 1] = line
end
local path = os.getenv("KC_PATH") or "/otp/validate"
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local next_index = nil

function request()
  if next_index == nil then
    next_index = id * 1000003 % #bodies
  end
  next_index = next_index % #bodies + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
  }, bodies[next_index])
end
