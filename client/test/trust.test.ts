import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { scopedValue, untrustedNotice } from '../src/trust';

test('trusted: the most specific scope wins', () => {
  const value = scopedValue({ defaultValue: 'd', globalValue: 'g', workspaceValue: 'w', workspaceFolderValue: 'f' }, true);
  assert.deepEqual(value, { value: 'f', explicit: true });
});

test('untrusted: workspace values are ignored, the user value is used', () => {
  const value = scopedValue({ defaultValue: '', globalValue: '/usr/bin/python3.12', workspaceValue: './evil' }, false);
  assert.deepEqual(value, { value: '/usr/bin/python3.12', explicit: true });
});

test('untrusted with only a workspace value falls back to the default', () => {
  const value = scopedValue({ defaultValue: '', workspaceFolderValue: './evil' }, false);
  assert.deepEqual(value, { value: '', explicit: false });
});

test('nothing set: the default, not explicit', () => {
  assert.deepEqual(scopedValue({ defaultValue: [] }, true), { value: [], explicit: false });
  assert.deepEqual(scopedValue(undefined, false), { value: undefined, explicit: false });
});

test('the untrusted notice names what is not used and the interpreter that runs', () => {
  const notice = untrustedNotice('/usr/bin/python3');
  assert.match(notice, /not trusted/);
  assert.match(notice, /`gradguard\.interpreter` or `gradguard\.args`/);
  assert.match(notice, /Python extension's interpreter/);
  assert.match(notice, /runs \/usr\/bin\/python3/);
});
