-- SPDX-License-Identifier: MIT
-- spec/helpers/mutate.lua: seeded random mutations of a text, for the decoders' fuzz specs.
--   local mutate = require "helpers.mutate"
--   math.randomseed(SEED); local s2 = mutate(s, PIECES)
-- One to three edits at random places: a byte deleted, a piece inserted, or a byte replaced by a
-- piece (PIECES: strings likely to upset the decoder under test).
return function(s, pieces)
  for _ = 1, math.random(1, 3) do
    local at = math.random(1, #s)
    local op = math.random(1, 3)
    if op == 1 then
      s = s:sub(1, at - 1) .. s:sub(at + 1)
    elseif op == 2 then
      s = s:sub(1, at - 1) .. pieces[math.random(#pieces)] .. s:sub(at)
    else
      s = s:sub(1, at - 1) .. pieces[math.random(#pieces)] .. s:sub(at + 1)
    end
  end
  return s
end
