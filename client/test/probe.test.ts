import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NOT_INSTALLED_EXIT } from '../src/interpreter';
import { probeInterpreter } from '../src/probe';

/** A stand-in interpreter: python3 without site-packages, with `sitePath` as its only extra import path. */
function fakePython(sitePath: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradguard-probe-'));
  const script = path.join(dir, 'python');
  fs.writeFileSync(script, `#!/bin/sh\nPYTHONPATH='${sitePath}' exec python3 -S "$@"\n`, { mode: 0o755 });
  return script;
}

test('a missing interpreter is reported as ENOENT', async () => {
  const probe = await probeInterpreter('/nonexistent/bin/python', os.tmpdir());
  assert.deepEqual(probe, { exitCode: null, spawnError: 'ENOENT', stderr: '' });
});

test('an interpreter without gradguard exits with NOT_INSTALLED_EXIT', async () => {
  const probe = await probeInterpreter(fakePython(fs.mkdtempSync(path.join(os.tmpdir(), 'empty-'))), os.tmpdir());
  assert.equal(probe.exitCode, NOT_INSTALLED_EXIT);
});

test('an interpreter that can import gradguard passes', async () => {
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'));
  fs.mkdirSync(path.join(site, 'gradguard'));
  fs.writeFileSync(path.join(site, 'gradguard', '__init__.py'), '');
  const probe = await probeInterpreter(fakePython(site), os.tmpdir());
  assert.equal(probe.exitCode, 0);
});
