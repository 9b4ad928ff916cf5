import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  expandVariables,
  NOT_INSTALLED_EXIT,
  resolveInterpreter,
  serverCommand,
  startFailureMessage,
  VariableContext,
} from '../src/interpreter';

const vars: VariableContext = { workspaceFolder: '/ws', userHome: '/home/me', env: { VENV: '/opt/venv' } };

test('gradguard.interpreter wins over the Python extension', () => {
  assert.deepEqual(resolveInterpreter({ configured: '/opt/py', pythonExtension: '/ws/.venv/bin/python', trusted: true }, vars), {
    path: '/opt/py',
    source: 'gradguard.interpreter',
  });
});

test('the Python extension is used when nothing is configured', () => {
  assert.deepEqual(resolveInterpreter({ configured: '', pythonExtension: '/ws/.venv/bin/python', trusted: true }, vars), {
    path: '/ws/.venv/bin/python',
    source: 'Python extension',
  });
});

test('python3 on PATH when there is neither', () => {
  assert.deepEqual(resolveInterpreter({ configured: '  ', trusted: true }, vars), { path: 'python3', source: 'default' });
});

test('untrusted: the Python extension interpreter (usually the workspace venv) is not used', () => {
  const resolved = resolveInterpreter({ configured: '', pythonExtension: '/ws/.venv/bin/python', trusted: false }, vars);
  assert.deepEqual(resolved, { path: 'python3', source: 'default' });
});

test('untrusted: a user setting pointing into ${workspaceFolder} is not used', () => {
  const resolved = resolveInterpreter({ configured: '${workspaceFolder}/.venv/bin/python', trusted: false }, vars);
  assert.deepEqual(resolved, { path: 'python3', source: 'default' });
  const trusted = resolveInterpreter({ configured: '${workspaceFolder}/.venv/bin/python', trusted: true }, vars);
  assert.equal(trusted.path, '/ws/.venv/bin/python');
});

test('variables: ~, ${userHome}, ${env:NAME}', () => {
  assert.equal(expandVariables('~/venv/bin/python', vars), '/home/me/venv/bin/python');
  assert.equal(expandVariables('${userHome}/py', vars), '/home/me/py');
  assert.equal(expandVariables('${env:VENV}/bin/python', vars), '/opt/venv/bin/python');
  assert.equal(expandVariables('${env:MISSING}python', vars), 'python');
  assert.equal(expandVariables('/a~b', vars), '/a~b');
});

test('the server command is python -m gradguard plus the extra args, run from the extension folder', () => {
  assert.deepEqual(serverCommand('/opt/py', ['--log-level', 'debug'], '/ext/gradguard-0.1.0'), {
    command: '/opt/py',
    args: ['-m', 'gradguard', '--log-level', 'debug'],
    cwd: '/ext/gradguard-0.1.0',
  });
});

test('a workspace interpreter still runs the server from the extension folder, not the workspace', () => {
  // `-m` puts the working folder first on sys.path: the workspace's modules must not be reachable.
  const command = serverCommand('/ws/.venv/bin/python', [], '/ext/gradguard-0.1.0');
  assert.equal(command.cwd, '/ext/gradguard-0.1.0');
  assert.deepEqual(command.args, ['-m', 'gradguard']);
});

test('start failure messages say why and how to fix', () => {
  const interp = { path: '/opt/py', source: 'gradguard.interpreter' as const };
  assert.equal(startFailureMessage(interp, { exitCode: 0, stderr: '' }), undefined);
  assert.equal(
    startFailureMessage(interp, { exitCode: NOT_INSTALLED_EXIT, stderr: '' }),
    'GradGuard: `gradguard` is not installed in /opt/py: run `/opt/py -m pip install gradguard`.',
  );
  assert.match(startFailureMessage(interp, { exitCode: null, spawnError: 'ENOENT', stderr: '' })!, /\/opt\/py \(from gradguard\.interpreter\) was not found/);
  assert.match(
    startFailureMessage(interp, { exitCode: 1, stderr: 'Traceback\nSyntaxError: bad\n' })!,
    /could not be run \(exit status 1\): SyntaxError: bad\.$/,
  );
});
