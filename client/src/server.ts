/** Starting the GradGuard language server process and its LanguageClient. */
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import type { LogOutputChannel } from 'vscode';
import { ServerCommand } from './interpreter';
import { ServerSettings } from './settings';
import { SECTION } from './configuration';

/** Starts `command` (its working folder is chosen by `serverCommand`) and talks LSP over its stdio. */
export function createClient(
  command: ServerCommand,
  output: LogOutputChannel,
  initialSettings: ServerSettings,
  settingsFor: (scopeUri: string | undefined) => ServerSettings,
): LanguageClient {
  const serverOptions: ServerOptions = {
    command: command.command,
    args: command.args,
    transport: TransportKind.stdio,
    options: { cwd: command.cwd, env: process.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
      { notebook: 'jupyter-notebook', language: 'python' },
    ],
    initializationOptions: initialSettings,
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      workspace: {
        // The server asks for `gradguard`; answer with the mapped, trust-filtered settings.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          const answered: unknown[] = answers;
          return params.items.map((item, index) =>
            item.section === SECTION ? settingsFor(item.scopeUri) : answered[index],
          );
        },
      },
    },
  };
  return new LanguageClient(SECTION, 'GradGuard', serverOptions, clientOptions);
}
