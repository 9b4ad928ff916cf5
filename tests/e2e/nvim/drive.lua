-- Headless Neovim drives the GradGuard server on the buffer it opened:
-- diagnostics -> hover -> preferred quick fix for GG101 -> :write -> the finding is gone.
-- Uses APIs present from Neovim 0.7.2 (Debian 12) on: vim.lsp.start_client, client.request_sync.
-- Env: GRADGUARD_PYTHON (interpreter with gradguard installed), OUT_DIR (JSON results).
-- Exit code: 0 on success, 1 on a Lua error, 2.. the failing step.

local py = assert(os.getenv("GRADGUARD_PYTHON"), "GRADGUARD_PYTHON not set")
local out_dir = assert(os.getenv("OUT_DIR"), "OUT_DIR not set")
local timeout = tonumber(os.getenv("GRADGUARD_TIMEOUT_MS") or "60000")

local function write_json(name, value)
  local f = assert(io.open(out_dir .. "/" .. name, "w"))
  f:write(vim.json.encode(value))
  f:close()
end

local function log(msg)
  io.stderr:write("[nvim-gradguard] " .. msg .. "\n")
end

local function fail(code, msg)
  log("FAIL(" .. code .. "): " .. msg)
  vim.cmd("cquit " .. code)
end

local function find_code(diagnostics, code)
  for _, d in ipairs(diagnostics) do
    if d.code == code then return d end
  end
  return nil
end

local function main()
  local bufnr = vim.api.nvim_get_current_buf()
  local fname = vim.api.nvim_buf_get_name(bufnr)
  vim.bo[bufnr].filetype = "python" -- -u NONE: no filetype detection

  local published = {}
  local client_id = vim.lsp.start_client({
    name = "gradguard",
    -- -I: `-m` would put the working directory (often the project) first on sys.path, before gradguard is imported.
    cmd = { py, "-I", "-m", "gradguard" },
    root_dir = vim.fn.fnamemodify(fname, ":h"),
    handlers = {
      ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
        table.insert(published, result)
        return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      end,
    },
  })
  if not client_id then return fail(2, "start_client returned nil") end
  vim.lsp.buf_attach_client(bufnr, client_id)

  local ok = vim.wait(timeout, function()
    return #published > 0 and find_code(published[#published].diagnostics, "GG101") ~= nil
  end, 50)
  if not ok then return fail(3, "no GG101 published: " .. vim.inspect(published)) end
  local client = vim.lsp.get_client_by_id(client_id)
  local diagnostics = published[#published].diagnostics
  write_json("diagnostics.json", { raw = published[#published], vim_diagnostic = vim.diagnostic.get(bufnr) })
  local finding = find_code(diagnostics, "GG101")
  local document = { uri = vim.uri_from_bufnr(bufnr) }

  local hover = client.request_sync("textDocument/hover",
    { textDocument = document, position = finding.range.start }, timeout, bufnr)
  if not hover or hover.err or not hover.result then return fail(4, "hover: " .. vim.inspect(hover)) end
  write_json("hover.json", hover.result)

  local response = client.request_sync("textDocument/codeAction", {
    textDocument = document,
    range = finding.range,
    context = { diagnostics = { finding }, only = { "quickfix" } },
  }, timeout, bufnr)
  if not response or response.err or not response.result then
    return fail(5, "codeAction: " .. vim.inspect(response))
  end
  write_json("code_actions.json", response.result)
  local preferred = nil
  for _, action in ipairs(response.result) do
    if action.isPreferred then preferred = action end
  end
  if not preferred then return fail(6, "no preferred quick fix") end

  local before = #published
  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding or "utf-16")
  vim.api.nvim_buf_call(bufnr, function() vim.cmd("silent write") end)

  ok = vim.wait(timeout, function()
    return #published > before and find_code(published[#published].diagnostics, "GG101") == nil
  end, 50)
  if not ok then return fail(7, "GG101 still published after the fix: " .. vim.inspect(published[#published])) end
  write_json("diagnostics_after_fix.json", published[#published])

  vim.lsp.stop_client(client_id)
  vim.wait(timeout, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
  log("OK")
  vim.cmd("qall!")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then fail(1, tostring(err)) end
