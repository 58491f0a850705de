/**
 * The configuration: text in, frozen Config out. Pure apart from reading the files it
 * is pointed at; imports nothing of the supervisor or the system layer.
 *
 * Memory: the `yaml` package is loaded only for YAML input, and ajv's compiler only when
 * the validator prebuilt by `npm run build` is missing or stale (see validate.ts).
 */
import { statSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { GLOBAL_DEFAULTS } from './defaults.js';
import { newBudget } from './limits.js';
import { finish, formatOfName, parseFragment, sniffFormat } from './pipeline.js';
import { givenText } from './read-file.js';
import { loadConfigFrom, loadConfigFromAsync, type LoadOptions, type Source } from './sources.js';
import type { Config, SocketConfig } from './types.js';
import { loadYaml } from './parser-yaml.js';

export { ConfigError } from './errors.js';
export { configSchema } from './schema.js';
export { socketFromUrl } from './socket-url.js';
export { findSource, type LoadOptions, type Source } from './sources.js';
export type * from './types.js';

/**
 * Parse, validate, fill in defaults and freeze. `file` is used in messages and to find
 * INI includes (relative to it, from `cwd`); the format comes from its extension
 * (.yaml/.yml, .ini/.conf/.cfg), else from the content. Throws ConfigError with every
 * problem found.
 * @param opts.cwd @default process.cwd()
 */
export function parseConfigText(
  text: string,
  opts: { file: string; format?: 'yaml' | 'ini'; env: NodeJS.ProcessEnv; cwd?: string },
): Config {
  const budget = newBudget();
  const body = givenText(opts.file, text, budget);
  const format = opts.format ?? formatOfName(opts.file) ?? sniffFormat(body);
  const fragment = parseFragment(body, opts.file, format, opts.env, opts.cwd ?? process.cwd(), budget);
  return finish([fragment], opts.env);
}

/**
 * Find and read the configuration. Sources in order: `opts.path` (a file, or a
 * directory laid out like a Kubernetes ConfigMap mount), env `RINGMASTER_CONFIG` (the
 * text itself), env `RINGMASTER_CONFIG_FILE` (a path), `/etc/ringmaster/ringmaster.{yaml,yml,ini}`.
 * Returns null if no source exists at all. Throws ConfigError.
 */
export function loadConfig(opts: LoadOptions): Config | null {
  return loadConfigFrom(opts);
}

/**
 * `loadConfig` for a running init: the files are read with fs.promises, and the event loop
 * turns between reading, parsing, validating and building, so that /livez, signals and
 * respawns wait for one bounded slice at most, never for the whole load.
 */
export function loadConfigAsync(opts: LoadOptions): Promise<Config | null> {
  return loadConfigFromAsync(opts);
}

/**
 * Load now every parser that a later load of `source` may need, while the install directory
 * is still readable (a PID 1 that drops privileges may not be able to read its own modules
 * afterwards). The INI parser is always loaded. The YAML one is left out only when the
 * format cannot change: an INI file named as such, or INI text in RINGMASTER_CONFIG (an
 * INI config then does not pay for its memory); a directory, the default paths or a name
 * without a known extension may be YAML next time.
 */
export function preloadParsers(source: Source | undefined): void {
  const fixed =
    source === undefined ? undefined
    : source.kind === 'text' ? sniffFormat(source.text)
    : source.origin !== 'default' && !isDirectory(source.path) ? formatOfName(source.path)
    : undefined;
  if (fixed !== 'ini') loadYaml();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // not there now: its name still says its format
  }
}

/**
 * A Config with only the sockets of `--socket` options and no watchers (command-line
 * mode), frozen. Throws ConfigError on duplicate names.
 */
export function configFromArgv(sockets: SocketConfig[]): Config {
  const seen = new Set<string>();
  for (const s of sockets) {
    if (seen.has(s.name)) {
      const message = `--socket ${s.name} is given twice; give each socket a different name`;
      throw new ConfigError([{ code: 'RM_CONFIG_CONFLICT', path: `--socket ${s.name}`, message, pos: undefined, value: s.name }]);
    }
    seen.add(s.name);
  }
  return deepFreeze({
    source: { format: 'argv', files: [] },
    ringmaster: { ...GLOBAL_DEFAULTS },
    sockets: sockets.map((s) => ({ ...s })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    watchers: [],
    tasks: [],
    env: {},
    warnings: [],
  });
}
