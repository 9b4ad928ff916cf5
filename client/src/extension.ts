/** Activation: commands, settings and trust events, and the server's life cycle. */
import * as os from 'os';
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient } from 'vscode-languageclient/node';
import { currentSettings, primaryFolder, SECTION } from './configuration';
import { resolveInterpreter, serverCommand, startFailureMessage } from './interpreter';
import { onPythonInterpreterChange, pythonExtensionInterpreter } from './python';
import { probeInterpreter } from './probe';
import { FIX_ALL_COMMANDS } from './fixAll';
import { createClient } from './server';
import { DEFAULT_SETTINGS, RESTART_SETTINGS, serverSettings } from './settings';
import { untrustedNotice } from './trust';

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let lifecycle: Promise<void> = Promise.resolve();
let untrustedNoticeLogged = false;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('GradGuard', { log: true });
  const restart = () => restartServer(context);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('gradguard.restart', restart),
    vscode.commands.registerCommand('gradguard.showOutput', () => output.show()),
    ...Object.entries(FIX_ALL_COMMANDS).map(([command, kind]) =>
      vscode.commands.registerCommand(command, () =>
        vscode.commands.executeCommand('editor.action.sourceAction', { kind, apply: 'first' }),
      ),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => onConfigurationChange(event, restart)),
    vscode.workspace.onDidGrantWorkspaceTrust(restart),
  );
  const pythonChange = await onPythonInterpreterChange(() => void restart());
  if (pythonChange) context.subscriptions.push(pythonChange);
  await restart();
}

export function deactivate(): Promise<void> {
  return stopServer();
}

/** Serialised, so quick successive setting changes never run two servers. */
function restartServer(context: vscode.ExtensionContext): Promise<void> {
  lifecycle = lifecycle
    .then(stopServer)
    .then(() => startServer(context))
    .catch((error) => output.error(`GradGuard: ${error instanceof Error ? error.stack : error}`));
  return lifecycle;
}

async function startServer(context: vscode.ExtensionContext): Promise<void> {
  const folder = primaryFolder();
  const read = currentSettings(folder);
  if (!read.settings.enable) {
    output.info('gradguard.enable is false: the server is not started.');
    return;
  }
  const trusted = vscode.workspace.isTrusted;
  const interpreter = resolveInterpreter(
    {
      configured: read.settings.interpreter,
      pythonExtension: trusted ? await pythonExtensionInterpreter(folder?.uri) : undefined,
      trusted,
    },
    { workspaceFolder: folder?.uri.fsPath, userHome: os.homedir(), env: process.env },
  );
  if (!trusted && !untrustedNoticeLogged) {
    output.warn(untrustedNotice(interpreter.path));
    untrustedNoticeLogged = true;
  }
  const command = serverCommand(interpreter.path, read.settings.args, context.extensionPath);
  output.info(`Starting ${command.command} ${command.args.join(' ')} (interpreter from ${interpreter.source}).`);

  const probe = await probeInterpreter(interpreter.path, command.cwd);
  const failure = startFailureMessage(interpreter, probe);
  if (failure) {
    output.error(probe.stderr ? `${failure}\n${probe.stderr}` : failure);
    notifyFailure(failure);
    return;
  }
  const settingsFor = (scopeUri: string | undefined) =>
    serverSettings(currentSettings(scopeUri ? vscode.Uri.parse(scopeUri) : folder));
  client = createClient(command, output, serverSettings(read), settingsFor);
  try {
    await client.start();
  } catch (error) {
    notifyFailure(`GradGuard: the server did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (!running) return;
  try {
    await running.dispose();
  } catch (error) {
    output.warn(`GradGuard: stopping the server: ${String(error)}`);
  }
}

function onConfigurationChange(event: vscode.ConfigurationChangeEvent, restart: () => Promise<void>): void {
  const changed = Object.keys(DEFAULT_SETTINGS).filter((key) => event.affectsConfiguration(`${SECTION}.${key}`));
  if (changed.length === 0) return; // e.g. only trace.server, which the LanguageClient applies itself
  const needsRestart = !client || changed.some((key) => RESTART_SETTINGS.includes(key));
  output.info(`Settings changed (${changed.join(', ')}): ${needsRestart ? 'restarting' : 'sending them to'} the server.`);
  if (!client || needsRestart) {
    void restart();
    return;
  }
  void client.sendNotification(DidChangeConfigurationNotification.type, {
    settings: serverSettings(currentSettings(primaryFolder())),
  });
}

function notifyFailure(message: string): void {
  void vscode.window.showErrorMessage(message, 'Show Output').then((choice) => {
    if (choice) output.show();
  });
}
