import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { FIX_ALL_COMMANDS } from '../src/fixAll';

interface Command {
  command: string;
  title: string;
}

interface Manifest {
  contributes: { commands: Command[] };
}

// out/client/test/ -> the repository root
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;
const commands: Command[] = manifest.contributes.commands;

test('each fix-all command is contributed with a title that says which fixes it applies', () => {
  const titles = Object.fromEntries(commands.map((c) => [c.command, c.title]));
  assert.equal(titles['gradguard.fixAll'], 'Fix All in File (safe fixes only)');
  assert.equal(titles['gradguard.fixAllUnsafe'], 'Fix All in File, including unsafe fixes');
  const contributed = commands.map((c) => c.command).filter((c) => c.startsWith('gradguard.fixAll'));
  assert.deepEqual(contributed.sort(), Object.keys(FIX_ALL_COMMANDS).sort());
});

/** VS Code's `CodeActionKind.contains`: what `"editor.codeActionsOnSave": {"source.fixAll": ...}` applies. */
function appliedOnSave(kind: string): boolean {
  return kind === 'source.fixAll' || kind.startsWith('source.fixAll.');
}

test('fix on save applies the safe fix-all and never the unsafe one', () => {
  assert.equal(appliedOnSave(FIX_ALL_COMMANDS['gradguard.fixAll']), true);
  assert.equal(appliedOnSave(FIX_ALL_COMMANDS['gradguard.fixAllUnsafe']), false);
});
