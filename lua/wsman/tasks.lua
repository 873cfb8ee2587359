-- SPDX-License-Identifier: MIT

--- Many hosts at once: task groups, `WSMan.tasks{limit = N}`.
--
-- A task is a function run in a coroutine of its group. Inside it every blocking call of the
-- COM-like objects (CreateSession, Get, Put, Invoke, Enumerate/ReadItem, Identify, shells and
-- their output), of the table methods (`session:get`...) and of the remote commands
-- (`run_cmd`, `run_ps`) yields while its request is in flight, and the group runs the other
-- tasks meanwhile: one thread, one curl multi handle. Outside a task the same calls block.
--
--    local tasks = WSMan.tasks{ limit = 256 }
--    for _, host in ipairs(hosts) do
--      tasks:spawn(function()
--        local s = wsman:CreateSession(host, flags, options)
--        return s:Get("wmicimv2/Win32_OperatingSystem")
--      end, host)
--    end
--    for host, ok, value in tasks:results() do ... end   -- in completion order
--
-- Each task has its own error (`ok` false, `value` the error object), an optional deadline
-- (`deadline_ms` of the group, counted from the task's start) and can be cancelled
-- (`group:cancel(key)`): its request in flight is abandoned (the connection closed) and every
-- later wait of the task fails at once with ERROR_OPERATION_ABORTED. What the task held on the
-- host (enumeration contexts, shells) is released by the objects' collection through the
-- cleanup queue (`WSMan.flush`). A Create in flight when its task is cancelled is still
-- answered, so that the shell it made is known and deleted.
-- @module wsman.tasks
local core = require "wsman.core"

local M = {}

local Group = {}
Group.__index = Group

local CANCELLED = "The task was cancelled (group:cancel)."

local now_ms = core._now_ms

--- A new task group.
-- @tparam[opt] table opts `limit` (tasks running at once, default 32), `deadline_ms` (per task)
-- @treturn Group
function M.new(opts)
  opts = opts or {}
  local limit = opts.limit or 32
  assert(math.type(limit) == "integer" and limit >= 1, "tasks{limit = N}: a positive integer expected")
  return setmetatable({
    limit = limit,
    deadline_ms = opts.deadline_ms,
    seq = 0,
    queue = {},    -- tasks not started, in order
    qhead = 1,
    qtail = 0,
    running = 0,
    waiting = {},  -- token -> task
    runnable = {}, -- tasks to resume in the next round
    done = {},     -- finished, not yet handed out by results()
    dhead = 1,
    dtail = 0,
    bykey = {},    -- key -> task
    started = {},  -- with deadline_ms: the started tasks, oldest first
    shead = 1,
    stail = 0,
  }, Group)
end

--- Adds a task. `key` defaults to a sequence number. Returns the key.
function Group:spawn(fn, key)
  assert(type(fn) == "function", "group:spawn(fn [, key]): a function expected")
  self.seq = self.seq + 1
  if key == nil then key = self.seq end
  assert(self.bykey[key] == nil, "group:spawn: a task with this key exists already")
  local t = { key = key, fn = fn }
  self.bykey[key] = t
  self.qtail = self.qtail + 1
  self.queue[self.qtail] = t
  return key
end

local function finish(self, t, ok, value)
  t.finished, t.ok, t.value = true, ok, value
  t.co = nil
  self.running = self.running - 1
  self.dtail = self.dtail + 1
  self.done[self.dtail] = t
end

-- Resumes t's coroutine once; notes where it stands.
local function resume(self, t)
  local ok, token = coroutine.resume(t.co)
  if coroutine.status(t.co) == "dead" then
    core._task_mark(t.co, false)
    if ok and t.cancelled then
      finish(self, t, false, t.cancel_reason) -- it caught the cancellation: still not done
    elseif ok then
      finish(self, t, true, token)
    else
      finish(self, t, false, token)
    end
    return
  end
  if type(token) == "userdata" then -- the core's operation token: wait for it
    t.token = token
    self.waiting[token] = t
  else
    self.runnable[#self.runnable + 1] = t -- a plain coroutine.yield: run again next round
  end
end

local function start(self, t)
  local fn = t.fn
  t.co = coroutine.create(function() return fn() end)
  core._task_mark(t.co, true)
  self.running = self.running + 1
  if self.deadline_ms then
    t.deadline = now_ms() + self.deadline_ms
    self.stail = self.stail + 1
    self.started[self.stail] = t
  end
  resume(self, t)
end

local function cancel_task(self, t, reason)
  if t.finished or t.cancelled then return end
  t.cancelled, t.cancel_reason = true, reason
  if t.co then core._task_mark(t.co, "cancelled") end -- its next calls fail at once
  if t.token and self.waiting[t.token] == t then core._task_cancel(t.token) end
end

-- Every task has the same deadline_ms from its start, so the started tasks, in start order, are
-- also in deadline order: only the oldest ones are looked at, whatever the number of tasks.
local function check_deadlines(self)
  if not self.deadline_ms then return end
  local now, started = now_ms(), self.started
  while self.shead <= self.stail do
    local t = started[self.shead]
    if not t.finished and now < t.deadline then return end
    started[self.shead] = nil
    self.shead = self.shead + 1
    if not t.finished then
      cancel_task(self, t, ("The task's deadline (%d ms) passed; it was cancelled."):format(self.deadline_ms))
    end
  end
end

-- One round: start tasks up to the limit, resume the runnable ones, drive the loop (waiting at
-- most max_wait ms; nil: as long as nothing is due).
local function round(self, max_wait)
  while self.running < self.limit and self.qhead <= self.qtail do
    local t = self.queue[self.qhead]
    self.queue[self.qhead] = nil
    self.qhead = self.qhead + 1
    if t.cancelled then
      self.running = self.running + 1
      finish(self, t, false, t.cancel_reason)
    else
      start(self, t)
    end
  end
  local runnable = self.runnable
  self.runnable = {}
  for _, t in ipairs(runnable) do resume(self, t) end
  if next(self.waiting) == nil then return end
  local wait = #self.runnable > 0 and 0 or core._loop_timeout()
  if self.deadline_ms and (wait < 0 or wait > 50) then wait = 50 end
  if max_wait and (wait < 0 or wait > max_wait) then wait = max_wait end
  for _, token in ipairs(core._loop_step(wait)) do
    local t = self.waiting[token]
    if t then
      self.waiting[token] = nil
      t.token = nil
      resume(self, t)
    end
  end
  check_deadlines(self)
end

local function busy(self)
  return self.running > 0 or self.qhead <= self.qtail
end

--- Iterates `key, ok, value` as tasks complete (`value`: what the function returned, or its
-- error when `ok` is false).
function Group:results()
  return function()
    while true do
      local t = self.done[self.dhead]
      if t then
        self.done[self.dhead] = nil
        self.dhead = self.dhead + 1
        self.bykey[t.key] = nil
        return t.key, t.ok, t.value
      end
      if not busy(self) then return nil end
      round(self)
    end
  end
end

--- Runs every task to its end; returns `key -> {ok = ..., value = ...}`.
function Group:wait()
  local out = {}
  for key, ok, value in self:results() do out[key] = { ok = ok, value = value } end
  return out
end

--- True while tasks are queued or running.
function Group:busy()
  return busy(self)
end

--- One step without blocking: starts tasks, resumes those whose requests are answered. For an
-- outside event loop: call it when `pollfd()` is readable or `timeout()` has passed, and read
-- the finished tasks with `results()` once `busy()` is false (or at any time: `results()` hands
-- out what has finished and drives the rest).
function Group:step()
  if busy(self) then round(self, 0) end
  return busy(self)
end

--- The pollable object of cqueues (`cqueues.poll(group)`): one descriptor, readable when any
-- connection of the loop is.
function Group:pollfd() -- luacheck: no unused args
  return core._loop_pollfd()
end

--- cqueues: the events to wait for on `pollfd()`.
function Group:events() -- luacheck: no unused args
  return "r"
end

--- Seconds until `step()` is due even without socket activity (nil: only on activity).
function Group:timeout()
  if #self.runnable > 0 or (self.running < self.limit and self.qhead <= self.qtail) then return 0 end
  local ms = core._loop_timeout()
  if self.deadline_ms and (ms < 0 or ms > 50) then ms = 50 end
  if ms < 0 then return nil end
  return ms / 1000
end

--- Runs the group on a libuv loop (luv): `group:luv(uv)` returns at once; the tasks run while the
-- caller runs `uv.run()`. `on_done(group)` is called once every task has finished. The module
-- never loads luv itself.
function Group:luv(uv, on_done)
  local poll = uv.new_poll(self:pollfd())
  local timer = uv.new_timer()
  local function again()
    if not self:step() then
      poll:stop()
      timer:stop()
      poll:close()
      timer:close()
      if on_done then on_done(self) end
      return
    end
    local t = self:timeout()
    timer:stop()
    if t then timer:start(math.max(0, math.floor(t * 1000)), 0, again) end
  end
  poll:start("r", again)
  timer:start(0, 0, again)
end

--- Cancels a task (started or not). Returns true when the task was found and not finished.
function Group:cancel(key)
  local t = self.bykey[key]
  if not t or t.finished then return false end
  cancel_task(self, t, CANCELLED)
  return true
end

return M
