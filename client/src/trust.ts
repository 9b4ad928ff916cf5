/**
 * Which scope of a setting may be used. In an untrusted workspace, values written by the
 * workspace (`.vscode/settings.json`, `*.code-workspace`) must not decide what program runs,
 * so only the user's own settings or the default count for the restricted settings.
 */

/** The parts of `WorkspaceConfiguration.inspect()` that matter here. */
export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export interface ScopedValue<T> {
  value: T | undefined;
  /** Set anywhere but the default: the user chose it. */
  explicit: boolean;
}

export function scopedValue<T>(
  inspected: InspectedSetting<T> | undefined,
  trusted: boolean,
): ScopedValue<T> {
  // VS Code already hides restricted workspace values in Restricted Mode; this does not rely on it.
  const fromWorkspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (trusted && fromWorkspace !== undefined) return { value: fromWorkspace, explicit: true };
  if (inspected?.globalValue !== undefined) return { value: inspected.globalValue, explicit: true };
  return { value: inspected?.defaultValue, explicit: false };
}

/** Settings that choose which program runs; the workspace may not set them unless trusted. */
export const RESTRICTED_SETTINGS: readonly string[] = ['interpreter', 'args'];

export function untrustedNotice(interpreter: string): string {
  return (
    'This workspace is not trusted (Restricted Mode): GradGuard does not use `gradguard.interpreter` or ' +
    "`gradguard.args` from the workspace settings, nor the Python extension's interpreter. " +
    `It runs ${interpreter}, from your user settings or the default. Trust the workspace to use its interpreter.`
  );
}
