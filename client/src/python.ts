/** The Python extension's active interpreter, when that extension is installed. */
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';

const PYTHON_EXTENSION_ID = 'ms-python.python';

export async function pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const api = await pythonApi();
  if (!api) return undefined;
  const active = api.environments.getActiveEnvironmentPath(resource);
  const resolved = await api.environments.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath;
}

/** Calls `listener` whenever the user selects another interpreter in the Python extension. */
export async function onPythonInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi();
  return api?.environments.onDidChangeActiveEnvironmentPath(listener);
}

async function pythonApi(): Promise<PythonExtension | undefined> {
  // PythonExtension.api() activates the extension; without it installed there is nothing to ask.
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    return await PythonExtension.api();
  } catch {
    return undefined;
  }
}
