// Drives real VS Code (code-server's workbench) in headless Chromium with playwright-core:
// a Python file (squiggle, Problems panel, hover, quick fix with Ctrl+., save, file on disk)
// and a notebook (a squiggle in the expected cell). Started by run.sh, configured by env:
//   CS_PORT, WS, OUT                  code-server port, workspace folder, artifact folder
//   PY_FILE, PROBLEM_RE, HOVER_RE     file to open; regexes the Problems row and the hover must match
//   FIX_RE, FIXED_RE                  quick-fix title; what the file on disk must contain afterwards
//   NOTEBOOK, CELL_TEXT               notebook to open; text of the cell that must carry a squiggle
//   FIXALL_FILE, FIXALL_RE            optional: a file that `editor.codeActionsOnSave` must fix on a save made
//                                     right after an edit
//   SAFE_FILE, UNSAFE_FILE            optional: copies of fix_all_flavours.py, fixed by the two fix-all commands
//   EVAL_FIX_FILE, EVAL_FIX_RE        optional: a GG202 file; its quick fix must insert `model.eval()` where
//                                     EVAL_FIX_RE says
//   IGNORE_CODE                       optional: adding it to `gradguard.ignore` in the Settings editor
//                                     clears its findings without reopening anything
//   START_ERROR_RE                    instead of all that: the server cannot start, and the one error
//                                     notification (matching this) opens the output channel
//   UNTRUSTED=1                       instead of all that: in Restricted Mode the findings still come (from the
//                                     user's interpreter) and the output channel says what was ignored
// Writes vscode-result.json and screenshots to OUT; exit 0 when every step was seen in the UI.
const fs = require('fs');
const path = require('path');
const workbench = require('./workbench');

const { env } = workbench;
const ws = env('WS');
const out = env('OUT');
const timeout = Number(process.env.UI_TIMEOUT_MS || 60000);
const squiggles = '.squiggly-error, .squiggly-warning, .squiggly-info';
const log = workbench.logger('vscode-e2e');
const regex = (name) => new RegExp(env(name));
const quickOpen = (page, name) => workbench.quickOpen(page, name, timeout);

/** Moves the mouse onto a squiggle; the .view-lines layer above it takes the pointer events, so no locator.hover(). */
async function pointAt(page, locator) {
  const box = await locator.boundingBox();
  const x = box.x + Math.min(box.width / 2, 30);
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 40, y);
  await page.mouse.move(x, y, { steps: 5 });
  return { x, y };
}

async function checkPythonFile(page, result) {
  const file = env('PY_FILE');
  await quickOpen(page, file);
  await page.waitForSelector('.editor-instance .view-lines', { timeout });
  const squiggle = page.locator(`.monaco-editor ${squiggles.split(', ').join(', .monaco-editor ')}`).first();
  await squiggle.waitFor({ state: 'attached', timeout });
  log(`${file}: squiggle`);

  await page.keyboard.press('Control+Shift+M');
  const problemRe = regex('PROBLEM_RE');
  const rows = page.locator('.markers-panel .monaco-list-row');
  await rows.filter({ hasText: problemRe }).first().waitFor({ timeout });
  result.problems = await rows.evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
  log(`problems: ${JSON.stringify(result.problems)}`);
  // opening the finding from the Problems panel scrolls the editor to it (the panel took half the height)
  await rows.filter({ hasText: problemRe }).first().click();
  await squiggle.waitFor({ state: 'visible', timeout });
  await page.screenshot({ path: path.join(out, 'vscode-findings.png') });

  const at = await pointAt(page, squiggle);
  const hoverRe = regex('HOVER_RE');
  await page.waitForFunction(
    (source) => [...document.querySelectorAll('.monaco-hover')].some((h) => new RegExp(source).test(h.innerText)),
    hoverRe.source,
    { timeout },
  );
  const hover = page.locator('.monaco-hover', { hasText: hoverRe }).first();
  result.hover = (await hover.innerText()).trim();
  log(`hover: ${JSON.stringify(result.hover.slice(0, 200))}`);
  // The whole hover shows at the default size: its content is no taller than the box that scrolls it.
  result.hoverSize = await hover.evaluate((h) => {
    const content = h.querySelector('.monaco-hover-content') || h;
    const box = h.querySelector('.monaco-scrollable-element') || h;
    return { content: content.scrollHeight, shown: Math.min(content.clientHeight, box.clientHeight) };
  });
  log(`hover size: ${JSON.stringify(result.hoverSize)}`);
  if (result.hoverSize.content > result.hoverSize.shown + 1) {
    throw new Error(`the hover scrolls: ${result.hoverSize.content} px of content in ${result.hoverSize.shown} px`);
  }
  await page.screenshot({ path: path.join(out, 'vscode-hover.png') });
  await page.keyboard.press('Escape');

  await page.mouse.click(at.x, at.y);
  const onDisk = path.join(ws, file);
  result.fileBefore = fs.readFileSync(onDisk, 'utf8');
  result.codeActions = await applyQuickFix(page, regex('FIX_RE'), 'vscode-quick-fix.png');
  result.fileAfterFix = await saveUntil(page, onDisk, regex('FIXED_RE'));
  log('quick fix applied and saved');
  await page.screenshot({ path: path.join(out, 'vscode-after-fix.png') });
}

/** Ctrl+. at the cursor, then the quick fix whose title matches `fixRe`; returns the titles offered. */
async function applyQuickFix(page, fixRe, screenshot) {
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: fixRe }).first();
  // Ctrl+. before the code actions of the new cursor position arrive opens nothing: press again
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press('Control+.');
    if (await fix.waitFor({ timeout: 3000 }).then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error(`no quick fix matching ${fixRe}`);
    await page.keyboard.press('Escape');
  }
  const titles = await page.locator('.action-widget .monaco-list-row').allInnerTexts();
  log(`code actions: ${JSON.stringify(titles)}`);
  if (screenshot) await page.screenshot({ path: path.join(out, screenshot) });
  await fix.click();
  return titles;
}

/** The edit lands in the buffer first; save until the file on disk matches `fixedRe`, and return it. */
async function saveUntil(page, onDisk, fixedRe) {
  const deadline = Date.now() + timeout;
  while (!fixedRe.test(fs.readFileSync(onDisk, 'utf8'))) {
    if (Date.now() > deadline) throw new Error(`${onDisk} never matched ${fixedRe}`);
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(1000);
  }
  return fs.readFileSync(onDisk, 'utf8');
}

/** GG202's quick fix inserts `model.eval()` before the evaluation, at the place EVAL_FIX_RE says. */
async function checkEvalQuickFix(page, result) {
  const file = env('EVAL_FIX_FILE');
  await quickOpen(page, file);
  await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel .monaco-list-row', { hasText: /GG202/ }).first().waitFor({ timeout });
  // F8 in the editor: the cursor goes to the file's (only) problem; Escape closes the problem's peek
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.press('F8');
  await page.locator('.marker-widget').first().waitFor({ timeout });
  await page.keyboard.press('Escape');
  await applyQuickFix(page, /Insert `model\.eval\(\)` before the evaluation/);
  result.evalQuickFix = await saveUntil(page, path.join(ws, file), regex('EVAL_FIX_RE'));
  log(`${file}: model.eval() inserted`);
}

/** `editor.codeActionsOnSave: {"source.fixAll.gradguard": "explicit"}` (user settings) fixes the file on save. */
async function checkFixAllOnSave(page, result) {
  const file = env('FIXALL_FILE');
  const fixedRe = regex('FIXALL_RE');
  await quickOpen(page, file);
  // the finding may lie below the visible lines; the Problems panel lists it regardless
  await page.locator('.markers-panel .monaco-list-row', { hasText: file }).first().waitFor({ timeout });
  // a save participant runs on a real edit: add a blank line at the end, and save at once, before the
  // diagnostics of the new text exist (the server's fix-all waits for that text's analysis)
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+S');
  const onDisk = path.join(ws, file);
  const deadline = Date.now() + timeout;
  while (!fixedRe.test(fs.readFileSync(onDisk, 'utf8'))) {
    if (Date.now() > deadline) throw new Error(`${file} was not fixed on save (${fixedRe})`);
    await page.waitForTimeout(200);
  }
  result.fixAllOnSave = fs.readFileSync(onDisk, 'utf8');
  log(`${file}: fixed on save`);
}

async function checkNotebook(page, result) {
  const notebook = env('NOTEBOOK');
  const cellText = env('CELL_TEXT');
  await quickOpen(page, notebook);
  await page.waitForSelector('.notebook-editor .cell-list-container', { timeout });
  // cells render lazily: scroll until the cell holding CELL_TEXT exists, then wait for its squiggle
  const cell = page.locator('.notebook-editor .code-cell-row', { hasText: cellText.replace(/ /g, '\u00a0') });
  const deadline = Date.now() + timeout;
  while ((await cell.count()) === 0) {
    if (Date.now() > deadline) throw new Error(`no notebook cell shows ${cellText}`);
    await page.mouse.move(640, 400);
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(200);
  }
  await cell.first().scrollIntoViewIfNeeded();
  await cell.first().locator(squiggles).first().waitFor({ state: 'attached', timeout });
  result.notebookCells = await page.locator('.notebook-editor .code-cell-row').evaluateAll((rows, selector) =>
    rows.map((row) => ({
      text: (row.querySelector('.view-lines')?.innerText || '').replace(/\u00a0/g, ' ').split('\n')[0],
      squiggles: row.querySelectorAll(selector).length,
    })), squiggles);
  log(`notebook cells: ${JSON.stringify(result.notebookCells)}`);
  await page.screenshot({ path: path.join(out, 'vscode-notebook.png') });
}

async function checkStartFailure(page, result) {
  await quickOpen(page, env('PY_FILE'));
  const toast = page.locator('.notification-toast', { hasText: regex('START_ERROR_RE') });
  await toast.first().waitFor({ timeout });
  result.notifications = await page.locator('.notification-toast').allInnerTexts();
  log(`notifications: ${JSON.stringify(result.notifications)}`);
  if (result.notifications.length !== 1) throw new Error('expected exactly one notification');
  await page.screenshot({ path: path.join(out, 'vscode-start-error.png') });
  await toast.first().locator('.monaco-button', { hasText: 'Show Output' }).click();
  const channel = page.locator('.panel .output-view, .panel [id="workbench.panel.output"]').first();
  await channel.locator('.view-lines', { hasText: 'is not installed in' }).first().waitFor({ timeout });
  result.output = (await channel.locator('.view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  log(`output channel: ${JSON.stringify(result.output.slice(0, 300))}`);
}

async function checkUntrusted(page, result) {
  await quickOpen(page, env('PY_FILE'));
  await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel .monaco-list-row', { hasText: regex('PROBLEM_RE') }).first().waitFor({ timeout });
  await page.keyboard.press('F1');
  await page.keyboard.type('GradGuard: Show Output');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'GradGuard: Show Output' }).first().waitFor({ timeout });
  await page.keyboard.press('Enter');
  // the notice is the channel's first line: scroll the output up to it (Monaco renders visible lines only)
  await page.locator('.panel .view-lines').first().click();
  await page.keyboard.press('Control+Home');
  const lines = page.locator('.panel .view-lines', { hasText: /not\s+trusted/ }).first();
  await lines.waitFor({ timeout });
  result.output = (await lines.innerText()).replace(/\u00a0/g, ' ');
  log(`output channel: ${JSON.stringify(result.output.slice(0, 400))}`);
  await page.screenshot({ path: path.join(out, 'vscode-untrusted.png') });
}

/** The two fix-all commands on copies of fix_all_flavours.py (GG101's fix is safe, GG202's unsafe): "Fix All in
 * File (safe fixes only)" leaves GG202 alone, "including unsafe fixes" inserts `model.eval()` too. */
async function checkFixAllCommands(page, result) {
  const flavours = [
    { file: env('SAFE_FILE'), title: 'GradGuard: Fix All in File (safe fixes only)', unsafe: false },
    { file: env('UNSAFE_FILE'), title: 'GradGuard: Fix All in File, including unsafe fixes', unsafe: true },
  ];
  const evalInserted = /"""Mean output over the loader\."""\n    model\.eval\(\)\n    outputs = /;
  result.fixAllCommands = {};
  for (const { file, title, unsafe } of flavours) {
    await quickOpen(page, file);
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel .monaco-list-row', { hasText: file }).first().waitFor({ timeout });
    await page.locator('.editor-instance .view-lines').first().click();
    await page.keyboard.press('F1');
    await page.keyboard.type(title);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout });
    await page.keyboard.press('Enter');
    const onDisk = path.join(ws, file);
    const deadline = Date.now() + timeout;
    // one edit holds every fix: once GG101's is on disk, GG202's is too if it was applied
    while (!/with torch\.no_grad\(\):/.test(fs.readFileSync(onDisk, 'utf8'))) {
      if (Date.now() > deadline) throw new Error(`${file} was not fixed by "${title}"`);
      // no Ctrl+S: an explicit save would run codeActionsOnSave; code-server's auto save (afterDelay) writes it
      await page.waitForTimeout(200);
    }
    const text = fs.readFileSync(onDisk, 'utf8');
    result.fixAllCommands[file] = text;
    if (evalInserted.test(text) !== unsafe) {
      throw new Error(`"${title}" ${unsafe ? 'did not insert' : 'inserted'} model.eval() in ${file}:\n${text}`);
    }
    log(`${file}: fixed by "${title}"`);
  }
}

/** A settings change made in the Settings editor reaches the running server: ignoring a code clears its rows. */
async function checkSettingsChange(page, result) {
  const code = env('IGNORE_CODE');
  const rows = page.locator('.markers-panel .monaco-list-row', { hasText: code });
  await page.keyboard.press('Control+Shift+M');
  await rows.first().waitFor({ timeout });
  await page.keyboard.press('Control+,');
  await page.locator('.settings-editor').first().waitFor({ timeout });
  await page.waitForTimeout(500); // the search box takes focus once the editor is built
  await page.keyboard.type('gradguard.ignore');
  const setting = page.locator('.settings-editor .setting-item-contents', { hasText: 'never to report' }).first();
  await setting.waitFor({ timeout });
  await setting.locator('.monaco-button', { hasText: 'Add Item' }).click();
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.screenshot({ path: path.join(out, 'vscode-settings.png') });
  await rows.first().waitFor({ state: 'detached', timeout });
  result.problemsAfterIgnore = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  log(`after ignoring ${code}: ${JSON.stringify(result.problemsAfterIgnore)}`);
}

async function main() {
  const result = {};
  try {
    await workbench.withWorkbench({ log, timeout, failureShot: 'vscode-failure.png' }, async (page) => {
      if (process.env.START_ERROR_RE) {
        await checkStartFailure(page, result);
      } else if (process.env.UNTRUSTED) {
        await checkUntrusted(page, result);
      } else {
        await checkPythonFile(page, result);
        if (process.env.EVAL_FIX_FILE) await checkEvalQuickFix(page, result);
        if (process.env.FIXALL_FILE) await checkFixAllOnSave(page, result);
        if (process.env.SAFE_FILE) await checkFixAllCommands(page, result);
        await checkNotebook(page, result);
        if (process.env.IGNORE_CODE) await checkSettingsChange(page, result);
      }
      log('OK');
    });
  } finally {
    fs.writeFileSync(path.join(out, 'vscode-result.json'), JSON.stringify(result, null, 2));
  }
}

workbench.run(main, log);
