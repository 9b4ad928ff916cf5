-- Latency in headless Neovim (push diagnostics), driven like tests/e2e/nvim/drive.lua: the buffer Neovim
-- opened gets the GradGuard server, then typing edits, hovers and quick-fix requests, timed in the editor.
-- Neovim 0.7.2 (Debian 12) APIs: vim.lsp.start_client, vim.loop.hrtime, vim.wait.
-- Env: GRADGUARD_PYTHON, OUT_FILE (JSON results),
--      EDIT_LINE (0-based line of a comment in the middle to type into), PASTE (text of the pasted block).
-- Exit code: 0 on success, 1 on a Lua error, 2.. the failing step.

local py = assert(os.getenv("GRADGUARD_PYTHON"), "GRADGUARD_PYTHON not set")
local out_file = assert(os.getenv("OUT_FILE"), "OUT_FILE not set")
local edit_line = tonumber((assert(os.getenv("EDIT_LINE"), "EDIT_LINE not set")))
local paste = vim.split(assert(os.getenv("PASTE"), "PASTE not set"), "\n", { plain = true })
local timeout = tonumber(os.getenv("GRADGUARD_TIMEOUT_MS") or "120000")
local KEY_INTERVAL_MS = 150 -- one typed character every 150 ms, as in issue 15's protocol-only reproduction
local CHARACTERS = 20
local REPEATS = 5 -- of each other edit (newline, paste, undo), each followed by a hover and a quick fix

local function now_ms()
  return vim.loop.hrtime() / 1e6
end

local function fail(code, msg)
  io.stderr:write("[nvim-latency] FAIL(" .. code .. "): " .. msg .. "\n")
  vim.cmd("cquit " .. code)
end

-- 0-based line of the first `def` after line `from`: a paste goes between two functions, where a person pastes one.
local function next_function_start(bufnr, from)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, from + 1, -1, true)) do
    if line:sub(1, 4) == "def " then return from + i end
  end
  error("no function after line " .. from)
end

local shown = {} -- {version, at} of each publishDiagnostics, after Neovim's own handler set the diagnostics
local server_ms = {} -- the server's own analysis times, from its $/logTrace
local last_diagnostics = {}

local function main()
  local bufnr = vim.api.nvim_get_current_buf()
  local fname = vim.api.nvim_buf_get_name(bufnr)
  vim.bo[bufnr].filetype = "python" -- -u NONE: no filetype detection

  local started = now_ms()
  local client_id = vim.lsp.start_client({
    name = "gradguard",
    cmd = { py, "-I", "-m", "gradguard" },
    root_dir = vim.fn.fnamemodify(fname, ":h"),
    trace = "verbose", -- the server then sends its own timings as $/logTrace
    handlers = {
      ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
        vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
        table.insert(shown, { version = result.version or -1, at = now_ms() })
        last_diagnostics = result.diagnostics
      end,
      ["$/logTrace"] = function(_, result)
        local ms = result and result.message and result.message:match("analysed .* in (%d+) ms")
        if ms then table.insert(server_ms, tonumber(ms)) end
      end,
    },
  })
  if not client_id then return fail(2, "start_client returned nil") end
  vim.lsp.buf_attach_client(bufnr, client_id)
  if not vim.wait(timeout, function() return #shown > 0 end, 1) then return fail(3, "no diagnostics after open") end
  local open_ms = shown[1].at - started
  vim.wait(1000) -- a person reads the file for a moment before typing
  local client = vim.lsp.get_client_by_id(client_id)
  local document = { uri = vim.uri_from_bufnr(bufnr) }

  -- edit -> the first diagnostics shown for its version or a later one
  local edits = { characters = {}, newline = {}, paste = {}, undo = {} }
  local function version()
    return vim.lsp.util.buf_versions[bufnr]
  end
  local function shown_since(v, t)
    for _, item in ipairs(shown) do
      if item.version >= v and item.at >= t then return item.at end
    end
    return nil
  end
  local function timed(kind, change)
    local at = now_ms()
    change()
    local v = version()
    if not vim.wait(timeout, function() return shown_since(v, at) ~= nil end, 1) then
      return fail(4, kind .. ": no diagnostics for version " .. v)
    end
    table.insert(edits[kind], shown_since(v, at) - at)
    vim.wait(300) -- a pause, as a person makes between edits
  end

  local hovers, actions = {}, {}
  local function request(method, params, into)
    local at, answered = now_ms(), false
    client.request(method, params, function(err)
      if err then fail(5, method .. ": " .. vim.inspect(err)) end
      answered = true
    end, bufnr)
    if not vim.wait(timeout, function() return answered end, 1) then return fail(6, method .. " unanswered") end
    table.insert(into, now_ms() - at)
  end
  local function hover_and_quick_fix()
    local finding = nil
    for _, d in ipairs(last_diagnostics) do
      if d.code == "GG201" then finding = d end
    end
    if not finding then return fail(7, "no GG201 in " .. vim.inspect(last_diagnostics)) end
    request("textDocument/hover", { textDocument = document, position = finding.range.start }, hovers)
    request("textDocument/codeAction", { textDocument = document, range = finding.range,
      context = { diagnostics = { finding }, only = { "quickfix" } } }, actions)
  end

  -- typing: characters into a comment in the middle, KEY_INTERVAL_MS apart (faster than most analyses)
  local pending = {}
  local comment = vim.api.nvim_buf_get_lines(bufnr, edit_line, edit_line + 1, true)[1]
  for n = 1, CHARACTERS do
    local col = #comment + n - 1
    local at = now_ms()
    vim.api.nvim_buf_set_text(bufnr, edit_line, col, edit_line, col, { "x" })
    table.insert(pending, { version = version(), at = at })
    vim.wait(KEY_INTERVAL_MS, function() return false end, 1)
  end
  local last = pending[#pending]
  if not vim.wait(timeout, function() return shown_since(last.version, last.at) ~= nil end, 1) then
    return fail(4, "characters: no diagnostics for the last one")
  end
  for _, key in ipairs(pending) do
    table.insert(edits.characters, shown_since(key.version, key.at) - key.at)
  end
  vim.wait(300)

  for _ = 1, REPEATS do
    timed("newline", function() vim.api.nvim_buf_set_lines(bufnr, edit_line + 1, edit_line + 1, true, { "" }) end)
    hover_and_quick_fix()
    local lines_before = vim.api.nvim_buf_line_count(bufnr)
    vim.cmd("let &undolevels = &undolevels") -- no key was typed since the last change: close its undo block
    local between = next_function_start(bufnr, edit_line)
    timed("paste", function() vim.api.nvim_buf_set_lines(bufnr, between, between, true, paste) end)
    hover_and_quick_fix()
    timed("undo", function() vim.cmd("silent undo") end)
    if vim.api.nvim_buf_line_count(bufnr) ~= lines_before then return fail(8, "undo did not remove the paste") end
    hover_and_quick_fix()
  end

  local f = assert(io.open(out_file, "w"))
  f:write(vim.json.encode({
    open_ms = open_ms, edits = edits, hover = hovers, quick_fix = actions, server_ms = server_ms,
    debounce_ms = (client.config.flags or {}).debounce_text_changes or "none",
    neovim = tostring(vim.version().major) .. "." .. vim.version().minor .. "." .. vim.version().patch,
  }))
  f:close()
  vim.lsp.stop_client(client_id)
  vim.wait(timeout, function() return vim.lsp.get_client_by_id(client_id) == nil end, 10)
  vim.cmd("qall!")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then fail(1, tostring(err)) end
