/** Runs the interpreter once to learn whether it exists and has gradguard installed. */
import { execFile } from 'child_process';
import { PROBE_SCRIPT, ProbeResult } from './interpreter';

const PROBE_TIMEOUT_MS = 20_000;

/** Checks that the interpreter runs and can import gradguard, before the client tries to talk to it. */
export function probeInterpreter(interpreter: string, cwd: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(interpreter, ['-c', PROBE_SCRIPT], { cwd, timeout: PROBE_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve({ exitCode: 0, stderr });
      const code = (error as NodeJS.ErrnoException).code;
      resolve({
        exitCode: typeof code === 'number' ? code : null,
        spawnError: typeof code === 'string' ? code : undefined,
        stderr: String(stderr ?? ''),
      });
    });
  });
}
