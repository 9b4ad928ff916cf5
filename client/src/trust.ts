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
  /** The workspace set a value that was not used because the workspace is untrusted. */
  ignoredFromWorkspace: boolean;
}

export function scopedValue<T>(
  inspected: InspectedSetting<T> | undefined,
  trusted: boolean,
): ScopedValue<T> {
  const fromWorkspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (trusted && fromWorkspace !== undefined) {
    return { value: fromWorkspace, explicit: true, ignoredFromWorkspace: false };
  }
  const ignoredFromWorkspace = !trusted && fromWorkspace !== undefined;
  if (inspected?.globalValue !== undefined) {
    return { value: inspected.globalValue, explicit: true, ignoredFromWorkspace };
  }
  return { value: inspected?.defaultValue, explicit: false, ignoredFromWorkspace };
}

/** Settings that choose which program runs; the workspace may not set them unless trusted. */
export const RESTRICTED_SETTINGS: readonly string[] = ['interpreter', 'args'];

export function untrustedNotice(ignored: readonly string[], interpreter: string): string {
  const what = ignored.length
    ? `ignores ${ignored.map((key) => `\`gradguard.${key}\``).join(' and ')} from the workspace settings and`
    : 'ignores';
  return (
    `This workspace is not trusted: GradGuard ${what} the Python extension's interpreter, ` +
    `and runs ${interpreter} (from your user settings or the default). ` +
    'Trust the workspace to use its interpreter.'
  );
}
