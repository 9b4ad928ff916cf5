// The browser side shared by tests/e2e/vscode/drive.js and bench/editor/vscode_latency.js: code-server's
// workbench (started by code_server.sh) in headless Chromium, driven with playwright-core.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

/** A logger that prefixes each message with `tag` and the seconds since it was made. */
function logger(tag) {
  const t0 = Date.now();
  return (m) => console.error(`[${tag} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
}

/** Opens the workspace WS of the code-server on CS_PORT and runs `body(page)`; on failure a screenshot
 * `failureShot` goes to OUT. `permissions`: e.g. the clipboard, for a real paste. */
async function withWorkbench({ log, timeout, failureShot, permissions = [] }, body) {
  const out = env('OUT');
  fs.mkdirSync(out, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    permissions,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${env('CS_PORT')}/?folder=${encodeURIComponent(env('WS'))}`, { timeout });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout });
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } }).catch(() => {});
    log('workbench loaded');
    await body(page);
  } catch (e) {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: path.join(out, failureShot) }).catch(() => {});
    throw e;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Ctrl+P, the file's name, its row in the list; `press` false leaves the row selected (to time the opening). */
async function quickOpen(page, name, timeout, press = true) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout });
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout });
  if (press) await page.keyboard.press('Enter');
}

/** Runs `main` and exits 0, or logs the failure and exits 1. */
function run(main, log) {
  main().then(() => process.exit(0), (e) => { log(`FAIL: ${e.stack || e}`); process.exit(1); });
}

module.exports = { env, logger, withWorkbench, quickOpen, run };
