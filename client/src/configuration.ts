/** Reads `gradguard.*` from VS Code, with workspace trust applied. */
import * as vscode from 'vscode';
import { ReadSettings, readSettings } from './settings';

export const SECTION = 'gradguard';

export function currentSettings(scope: vscode.ConfigurationScope | undefined): ReadSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return readSettings(
    (key) => config.inspect(key),
    vscode.workspace.isTrusted,
  );
}

export function primaryFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}
