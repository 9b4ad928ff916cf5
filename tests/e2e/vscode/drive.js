// Drives real VS Code (code-server's workbench) in headless Chromium with playwright-core:
// a Python file (squiggle, Problems panel, hover, quick fix with Ctrl+., save, file on disk)
// and a notebook (a squiggle in the expected cell). Started by run.sh, configured by env:
//   CS_PORT, WS, OUT                  code-server port, workspace folder, artifact folder
//   PY_FILE, PROBLEM_RE, HOVER_RE     file to open; regexes the Problems row and the hover must match
//   FIX_RE, FIXED_RE                  quick-fix title; what the file on disk must contain afterwards
//   NOTEBOOK, CELL_TEXT               notebook to open; text of the cell that must carry a squiggle
// Writes vscode-result.json and screenshots to OUT; exit 0 when every step was seen in the UI.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const ws = env('WS');
const out = env('OUT');
const timeout = Number(process.env.UI_TIMEOUT_MS || 60000);
const squiggles = '.squiggly-error, .squiggly-warning, .squiggly-info';
const t0 = Date.now();
const log = (m) => console.error(`[vscode-e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const regex = (name) => new RegExp(env(name));

async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout });
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout });
  await page.keyboard.press('Enter');
}

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
  await rows.filter({ hasText: problemRe }).first().dblclick();
  await squiggle.waitFor({ state: 'visible', timeout });
  await page.screenshot({ path: path.join(out, 'vscode-findings.png') });

  const at = await pointAt(page, squiggle);
  const hoverRe = regex('HOVER_RE');
  await page.waitForFunction(
    (source) => [...document.querySelectorAll('.monaco-hover')].some((h) => new RegExp(source).test(h.innerText)),
    hoverRe.source,
    { timeout },
  );
  result.hover = (await page.locator('.monaco-hover', { hasText: hoverRe }).first().innerText()).trim();
  log(`hover: ${JSON.stringify(result.hover.slice(0, 200))}`);
  await page.screenshot({ path: path.join(out, 'vscode-hover.png') });
  await page.keyboard.press('Escape');

  await page.mouse.click(at.x, at.y);
  const fixRe = regex('FIX_RE');
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: fixRe }).first();
  // Ctrl+. before the code actions of the new cursor position arrive opens nothing: press again
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press('Control+.');
    if (await fix.waitFor({ timeout: 3000 }).then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error(`no quick fix matching ${fixRe}`);
    await page.keyboard.press('Escape');
  }
  result.codeActions = await page.locator('.action-widget .monaco-list-row').allInnerTexts();
  log(`code actions: ${JSON.stringify(result.codeActions)}`);
  await page.screenshot({ path: path.join(out, 'vscode-quick-fix.png') });
  await fix.click();

  const onDisk = path.join(ws, file);
  const fixedRe = regex('FIXED_RE');
  const before = fs.readFileSync(onDisk, 'utf8');
  // the edit lands in the buffer first; save until the file on disk shows it
  const saveDeadline = Date.now() + timeout;
  while (!fixedRe.test(fs.readFileSync(onDisk, 'utf8'))) {
    if (Date.now() > saveDeadline) throw new Error(`${file} on disk never matched ${fixedRe}`);
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(1000);
  }
  result.fileBefore = before;
  result.fileAfterFix = fs.readFileSync(onDisk, 'utf8');
  log('quick fix applied and saved');
  await page.screenshot({ path: path.join(out, 'vscode-after-fix.png') });
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

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const result = {};
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${env('CS_PORT')}/?folder=${encodeURIComponent(ws)}`, { timeout });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout });
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } }).catch(() => {});
    log('workbench loaded');
    await checkPythonFile(page, result);
    await checkNotebook(page, result);
    log('OK');
  } catch (e) {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: path.join(out, 'vscode-failure.png') }).catch(() => {});
    throw e;
  } finally {
    fs.writeFileSync(path.join(out, 'vscode-result.json'), JSON.stringify(result, null, 2));
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { log(`FAIL: ${e.stack || e}`); process.exit(1); });
