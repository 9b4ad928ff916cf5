import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, InspectSetting, readSettings, serverSettings } from '../src/settings';
import { InspectedSetting } from '../src/trust';

/** inspect() as VS Code answers it: every key has its default, plus the given scoped values. */
function inspector(scoped: Record<string, InspectedSetting<unknown>>): InspectSetting {
  return (key) => ({ defaultValue: (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[key], ...scoped[key] });
}

test('defaults map to enable and run only, so pyproject.toml decides the rest', () => {
  const read = readSettings(inspector({}), true);
  assert.deepEqual(read.settings, DEFAULT_SETTINGS);
  assert.deepEqual(serverSettings(read), { enable: true, run: 'onType' });
});

test('explicit select, ignore and severity reach the server', () => {
  const read = readSettings(
    inspector({
      select: { globalValue: ['GG101', 'missing-eval'] },
      ignore: { workspaceValue: ['GG205'] },
      severity: { workspaceFolderValue: { GG201: 'hint' } },
      run: { globalValue: 'onSave' },
    }),
    true,
  );
  assert.deepEqual(serverSettings(read), {
    enable: true,
    run: 'onSave',
    select: ['GG101', 'missing-eval'],
    ignore: ['GG205'],
    severity: { GG201: 'hint' },
  });
});

test('an explicitly empty list is still sent: the user cleared it on purpose', () => {
  const read = readSettings(inspector({ ignore: { workspaceValue: [] } }), true);
  assert.deepEqual(serverSettings(read).ignore, []);
});

test('values of the wrong type fall back to the default', () => {
  const read = readSettings(inspector({ select: { globalValue: 'GG101' }, enable: { globalValue: 'yes' } }), true);
  assert.deepEqual(read.settings.select, []);
  assert.equal(read.settings.enable, true);
});

test('server-side settings are private: interpreter and args are never sent', () => {
  const read = readSettings(inspector({ interpreter: { globalValue: '/opt/py' }, args: { globalValue: ['-v'] } }), true);
  assert.deepEqual(Object.keys(serverSettings(read)).sort(), ['enable', 'run']);
});

test('untrusted: interpreter and args from the workspace are dropped, analysis settings are kept', () => {
  const read = readSettings(
    inspector({
      interpreter: { workspaceValue: './.venv/bin/python' },
      args: { workspaceFolderValue: ['--evil'] },
      select: { workspaceValue: ['GG101'] },
    }),
    false,
  );
  assert.equal(read.settings.interpreter, '');
  assert.deepEqual(read.settings.args, []);
  assert.deepEqual(read.settings.select, ['GG101']);
});

test('untrusted: the user-level interpreter still applies', () => {
  const read = readSettings(
    inspector({ interpreter: { globalValue: '/usr/bin/python3', workspaceValue: './py' } }),
    false,
  );
  assert.equal(read.settings.interpreter, '/usr/bin/python3');
});
