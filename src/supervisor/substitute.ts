/**
 * Per-worker substitution in argv, as Circus does it: `$(circus.wid)`,
 * `((circus.sockets.web))`, `$(circus.env.HOME)`, any watcher option
 * (`$(circus.numprocesses)`), and the `{SOCKET:web}` form. `ringmaster.` works as a
 * prefix too. Keys match case-insensitively; an unknown key is left as written.
 * `$(ringmaster.preload)` is the file URL of ringmaster's preload (preload-url.ts).
 */
import { PRELOAD_URL } from './preload-url.js';

export interface SubstContext {
  wid: number;
  /** socket name (lower case) -> fd number in the worker */
  sockets: ReadonlyMap<string, number>;
  env: Readonly<Record<string, string | undefined>>;
  /** other watcher options by name, for $(circus.NAME) */
  options?: Readonly<Record<string, unknown>>;
}

const FORMS = [/\$\((?:circus|ringmaster)\.([\w.-]+)\)/gi, /\(\((?:circus|ringmaster)\.([\w.-]+)\)\)/gi];
const SOCKET_FORM = /\{SOCKET:([\w.-]+)\}/gi;

function lookup(key: string, ctx: SubstContext): string | undefined {
  const k = key.toLowerCase();
  if (k === 'wid') return String(ctx.wid);
  if (k === 'preload') return PRELOAD_URL;
  if (k.startsWith('sockets.')) {
    const fd = ctx.sockets.get(k.slice('sockets.'.length));
    return fd === undefined ? undefined : String(fd);
  }
  if (k.startsWith('env.')) {
    const want = k.slice(4);
    for (const [name, value] of Object.entries(ctx.env)) if (name.toLowerCase() === want && value !== undefined) return value;
    return undefined;
  }
  if (ctx.options) {
    for (const [name, value] of Object.entries(ctx.options)) {
      if (name.toLowerCase() === k && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) return String(value);
    }
  }
  return undefined;
}

export function substitute(arg: string, ctx: SubstContext): string {
  let out = arg;
  for (const re of FORMS) out = out.replace(re, (whole, key: string) => lookup(key, ctx) ?? whole);
  return out.replace(SOCKET_FORM, (whole, name: string) => {
    const fd = ctx.sockets.get(name.toLowerCase());
    return fd === undefined ? whole : String(fd);
  });
}
