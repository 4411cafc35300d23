-- wrk script: POST /api/transactions bodies that differ per request, from a pool of users and their tokens.
-- Usage: wrk -s bench/post.lua URL -- TOKENS_FILE SEED
-- Each request gets a fresh transaction id (a per-thread random prefix and a counter), its own amount, category,
-- date and description, and the next user's token: nothing a cache keyed on a body or a token could flatter.

local tokens = {}
local counter = 0
local prefix
local categories = { "groceries", "rent", "travel", "utilities", "fun", "health", "transport", "gifts" }

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  math.randomseed(tonumber(args[2]) or os.time())
  prefix = string.format(
    "%08x-%04x-4%03x-8%03x-%04x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffff)
  )
end

function request()
  counter = counter + 1
  local token = tokens[counter % #tokens + 1]
  local body = string.format(
    '{"id":"%s%08x","type":"expense","amount":"%d.%02d","currency":"EUR","category":"%s",'
      .. '"date":"2026-%02d-%02d","description":"bench %d","tags":["bench"]}',
    prefix, counter, 1 + counter % 997, counter % 100, categories[counter % #categories + 1],
    1 + counter % 12, 1 + counter % 28, counter
  )
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
