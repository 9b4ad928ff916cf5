/** The `gradguard.*` settings, and the part of them the server reads. */
import { InspectedSetting, RESTRICTED_SETTINGS, scopedValue } from './trust';

export type RunMode = 'onType' | 'onSave';
export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface ExtensionSettings {
  enable: boolean;
  select: string[];
  ignore: string[];
  severity: Record<string, Severity>;
  run: RunMode;
  args: string[];
  interpreter: string;
  importStrategy: 'fromEnvironment';
}

/** Sent as `initializationOptions` and as the answer to `workspace/configuration` for `gradguard`. */
export interface ServerSettings {
  enable: boolean;
  run: RunMode;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, Severity>;
}

export interface ReadSettings {
  settings: ExtensionSettings;
  /** Keys the user set somewhere (not left at the default). */
  explicit: Set<keyof ExtensionSettings>;
}

export const DEFAULT_SETTINGS: ExtensionSettings = {
  enable: true,
  select: [],
  ignore: [],
  severity: {},
  run: 'onType',
  args: [],
  interpreter: '',
  importStrategy: 'fromEnvironment',
};

/** Reads one `gradguard.<key>` the way `WorkspaceConfiguration.inspect(key)` does. */
export type InspectSetting = (key: string) => InspectedSetting<unknown> | undefined;

export function readSettings(inspect: InspectSetting, trusted: boolean): ReadSettings {
  const settings = { ...DEFAULT_SETTINGS } as Record<string, unknown>;
  const explicit = new Set<keyof ExtensionSettings>();
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof ExtensionSettings)[]) {
    const restricted = RESTRICTED_SETTINGS.includes(key);
    const scoped = scopedValue(inspect(key), trusted || !restricted);
    if (scoped.value !== undefined && sameType(scoped.value, DEFAULT_SETTINGS[key])) {
      settings[key] = scoped.value;
    }
    if (scoped.explicit) explicit.add(key);
  }
  return { settings: settings as unknown as ExtensionSettings, explicit };
}

/**
 * What the server gets. `select`, `ignore` and `severity` go only when the user set them, so that
 * `[tool.gradguard]` in pyproject.toml applies otherwise (SPEC: an explicit editor setting wins).
 */
export function serverSettings({ settings, explicit }: ReadSettings): ServerSettings {
  const result: ServerSettings = { enable: settings.enable, run: settings.run };
  if (explicit.has('select')) result.select = settings.select;
  if (explicit.has('ignore')) result.ignore = settings.ignore;
  if (explicit.has('severity')) result.severity = settings.severity;
  return result;
}

/** Settings whose change needs a new server process; the others are sent to the running one. */
export const RESTART_SETTINGS: readonly string[] = ['enable', 'interpreter', 'args', 'importStrategy'];

function sameType(value: unknown, reference: unknown): boolean {
  if (Array.isArray(reference)) return Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (typeof reference === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  return typeof value === typeof reference;
}
