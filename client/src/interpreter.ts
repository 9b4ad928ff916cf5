/** Which Python runs the server, and the command line that starts it. */

export type InterpreterSource = 'gradguard.interpreter' | 'Python extension' | 'default';

export interface ResolvedInterpreter {
  path: string;
  source: InterpreterSource;
}

export interface InterpreterCandidates {
  /** `gradguard.interpreter`, already filtered for trust; '' when unset. */
  configured: string;
  /** The Python extension's active interpreter for the workspace, when that extension is installed. */
  pythonExtension?: string;
  trusted: boolean;
}

export interface VariableContext {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
}

export const DEFAULT_INTERPRETER = 'python3';

/**
 * An explicit `gradguard.interpreter` wins (as in Microsoft's pylint/flake8 extensions), then the
 * Python extension's choice, then `python3` on PATH. In an untrusted workspace the Python extension's
 * choice is skipped: it is usually the workspace's own virtual environment, i.e. code from the workspace.
 */
export function resolveInterpreter(
  candidates: InterpreterCandidates,
  variables: VariableContext,
): ResolvedInterpreter {
  const configured = candidates.configured.trim();
  const pointsIntoWorkspace = configured.includes('${workspaceFolder}');
  if (configured && (candidates.trusted || !pointsIntoWorkspace)) {
    return { path: expandVariables(configured, variables), source: 'gradguard.interpreter' };
  }
  if (candidates.trusted && candidates.pythonExtension) {
    return { path: candidates.pythonExtension, source: 'Python extension' };
  }
  return { path: DEFAULT_INTERPRETER, source: 'default' };
}

export function expandVariables(value: string, variables: VariableContext): string {
  let expanded = value.replace(/^~(?=$|[\\/])/, variables.userHome);
  expanded = expanded.replace(/\$\{userHome\}/g, variables.userHome);
  if (variables.workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, variables.workspaceFolder);
  }
  return expanded.replace(/\$\{env:([^}]+)\}/g, (_, name: string) => variables.env[name] ?? '');
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** The working folder of the server (and of the probe that runs the interpreter first). */
  cwd: string;
}

/**
 * `python -m gradguard` with no arguments serves LSP over stdio; `gradguard.args` are appended.
 * It runs in the extension's own folder, never the workspace: `-m` puts the working folder first on
 * sys.path before gradguard is imported, so a `gradguard/`, `types.py` or `collections.py` in an
 * untrusted workspace would run. Not `-I` (which would also leave that folder out): it drops user
 * site-packages and PYTHONPATH too, where gradguard may be installed.
 */
export function serverCommand(interpreter: string, extraArgs: readonly string[], extensionPath: string): ServerCommand {
  return { command: interpreter, args: ['-m', 'gradguard', ...extraArgs], cwd: extensionPath };
}

/** Exit status of PROBE_SCRIPT when the interpreter runs but has no `gradguard`. */
export const NOT_INSTALLED_EXIT = 3;
export const PROBE_SCRIPT =
  `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("gradguard") else ${NOT_INSTALLED_EXIT})`;

export interface ProbeResult {
  /** Process exit code; null when it could not be spawned or was killed. */
  exitCode: number | null;
  /** Node's error code when spawning failed, e.g. ENOENT. */
  spawnError?: string;
  stderr: string;
}

/** The one message shown when the server cannot start, or undefined when the probe passed. */
export function startFailureMessage(interpreter: ResolvedInterpreter, probe: ProbeResult): string | undefined {
  if (probe.exitCode === 0) return undefined;
  const where = `${interpreter.path} (from ${interpreter.source})`;
  if (probe.spawnError === 'ENOENT') {
    return `GradGuard: the Python interpreter ${where} was not found. Set \`gradguard.interpreter\` or select an interpreter in the Python extension.`;
  }
  if (probe.exitCode === NOT_INSTALLED_EXIT) {
    return `GradGuard: \`gradguard\` is not installed in ${interpreter.path}: run \`${interpreter.path} -m pip install gradguard\`.`;
  }
  const reason = probe.spawnError ?? `exit status ${probe.exitCode}`;
  const lastLine = probe.stderr.trim().split('\n').pop() ?? '';
  return `GradGuard: ${where} could not be run (${reason})${lastLine ? `: ${lastLine}` : ''}.`;
}
