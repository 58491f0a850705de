/**
 * Coercion to each option's type, before schema validation. Text (every INI value, and
 * YAML strings produced by `${VAR}`) is parsed: integers, numbers, Circus booleans
 * (yes/true/on/1, no/false/off/0), octal, signals, lists. Values from YAML are only
 * normalized: signal names get SIG and upper case, `umask: 022` is read as octal from
 * its source text, enum spellings are canonicalized (`unix` -> `AF_UNIX`), env values
 * become strings, user/group numbers become strings.
 *
 * A value that cannot be coerced is a failure; the caller reports it with the option's
 * "must be ..." text. A value of the wrong YAML type is passed through for the schema.
 */
import { parseMemorySize } from './memory-size.js';
import { readyFromString } from './ready.js';
import { normalizeSignal } from './signals.js';
import { AUTO_EXPECT, MAX_AUTO_FACTOR, MAX_ID, MIN_AUTO_FACTOR, type OptionSpec } from './options.js';
import { isMap } from './tree.js';

/** A failure says why (after the value), or replaces the option's "must be ..." text (`expect`). */
export type Coerced = { ok: true; value: unknown } | { ok: false; reason?: string; expect?: string };

const TRUE = new Set(['yes', 'true', 'on', '1']);
const FALSE = new Set(['no', 'false', 'off', '0']);

const ok = (value: unknown): Coerced => ({ ok: true, value });
const fail = (reason?: string): Coerced => (reason === undefined ? { ok: false } : { ok: false, reason });

/**
 * Coerce one value. `textual`: the value is text to parse. `raw`: the YAML source text of
 * a plain scalar, for octal options.
 */
export function coerce(spec: OptionSpec, value: unknown, textual: boolean, raw?: string): Coerced {
  const text = typeof value === 'string' && textual ? value.trim() : undefined;
  switch (spec.type) {
    case 'int':
      if (text === undefined) return ok(value);
      return /^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? ok(Number(text)) : fail();
    case 'number': {
      if (text === undefined) return ok(value);
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? ok(n) : fail();
    }
    case 'bool':
      if (text === undefined) return ok(value);
      if (TRUE.has(text.toLowerCase())) return ok(true);
      return FALSE.has(text.toLowerCase()) ? ok(false) : fail();
    case 'string':
      return noNul(value, 'a string');
    case 'ignored':
      return ok(value);
    case 'id':
      return id(value);
    case 'octal':
      return octal(value, text ?? raw);
    case 'signal':
      return signal(value);
    case 'signals': {
      const list = text !== undefined ? text.split(/[\s,]+/).filter(Boolean) : value;
      if (!Array.isArray(list)) return ok(value);
      const out: string[] = [];
      for (const item of list) {
        const c = signal(item);
        if (!c.ok) return fail(c.reason === undefined ? `${JSON.stringify(item)} is not a signal` : `${JSON.stringify(item)}: ${c.reason}`);
        out.push(c.value as string);
      }
      return ok(out);
    }
    case 'names':
      return ok(text !== undefined ? text.split(/[\s,]+/).filter(Boolean) : value);
    case 'exit_codes':
      return exitCodes(value, text);
    case 'argv':
      return ok(value);
    case 'paths':
      if ((Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && v.includes('\0'))) {
        return { ok: false, expect: 'a path or a list of paths without a NUL byte (\\0), which no path can carry' };
      }
      if (typeof value === 'string') return ok(value.split(/[,\n]/).map((p) => p.trim()).filter(Boolean));
      return ok(value);
    case 'ready':
      if (typeof value !== 'string') return ok(value);
      return ((r) => (r === undefined ? fail() : ok(r)))(readyFromString(value));
    case 'env':
      return envMap(value, textual);
    case 'rlimit': {
      if (value === null) return ok(null);
      if (typeof value !== 'string') return ok(value);
      const t = value.trim().toLowerCase();
      if (t === '' || t === 'infinity' || t === 'unlimited') return ok(null);
      return /^\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? ok(Number(t)) : fail();
    }
    case 'processes':
      return processes(value, text);
    case 'memory': {
      const m = parseMemorySize(value);
      if (!m.ok) return fail(m.reason);
      return ok('percent' in m ? `${m.percent}%` : m.bytes);
    }
    case 'enum':
      return enumValue(spec, value);
  }
}

/**
 * An enum's canonical spelling; for one that takes booleans too (`respawn`), a YAML
 * boolean or a Circus boolean word (`yes`, `off`, `1`) becomes the value it stands for.
 */
function enumValue(spec: OptionSpec, value: unknown): Coerced {
  const b = spec.boolValues;
  if (b !== undefined && typeof value === 'boolean') return ok(value ? b[0] : b[1]);
  if (typeof value !== 'string') return ok(value);
  const t = value.trim();
  if (b !== undefined && TRUE.has(t.toLowerCase())) return ok(b[0]);
  if (b !== undefined && FALSE.has(t.toLowerCase())) return ok(b[1]);
  return ok(canonicalEnum(spec, t));
}

/** `0, 3` or `0 3` (INI) -> [0, 3]; a YAML list is left to the schema. */
function exitCodes(value: unknown, text: string | undefined): Coerced {
  if (text === undefined) return ok(value);
  const out: number[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    if (!/^\d+$/.test(word)) return fail(`${JSON.stringify(word)} is not an integer`);
    out.push(Number(word));
  }
  return ok(out);
}

/** `3`, `auto`, `auto*2`, `auto * 0.5` (YAML or INI alike) -> 3 or `{ auto: factor }`. */
function processes(value: unknown, text: string | undefined): Coerced {
  if (typeof value !== 'string') return ok(value);
  const t = value.trim();
  if (text !== undefined && /^[+-]?\d+$/.test(t)) return Number.isSafeInteger(Number(t)) ? ok(Number(t)) : fail();
  return parseAuto(t);
}

/**
 * `auto` -> `{ auto: 1 }`, `auto*0.5` -> `{ auto: 0.5 }`; anything else fails (with a
 * reason when it starts with `auto*`). Also what `ringmaster ctl scale NAME auto` sends.
 */
export function parseAuto(text: string): Coerced {
  const t = text.trim();
  const m = /^auto(?:\s*\*\s*(.*))?$/i.exec(t);
  const bad = (reason?: string): Coerced => ({ ok: false, expect: AUTO_EXPECT, ...(reason === undefined ? {} : { reason }) });
  if (!m) return /^auto/i.test(t) ? bad() : fail();
  if (m[1] === undefined) return ok({ auto: 1 });
  const f = /^\d+(?:\.\d+)?$|^\.\d+$/.test(m[1]) ? Number(m[1]) : NaN;
  if (Number.isNaN(f)) return bad('the factor after auto* must be a number such as 2 or 0.5');
  if (f < MIN_AUTO_FACTOR || f > MAX_AUTO_FACTOR) return bad(`the factor after auto* must be between ${MIN_AUTO_FACTOR} and ${MAX_AUTO_FACTOR}; auto*0 would start no worker, write 0 for that`);
  return ok({ auto: f });
}

/**
 * A string reaches a syscall as a C string (a path, an address, an interface, a user name):
 * a NUL byte would cut it short, so that another file or address than the one written is used.
 */
function noNul(value: unknown, what: string): Coerced {
  if (typeof value === 'string' && value.includes('\0')) {
    return { ok: false, expect: `${what} without a NUL byte (\\0), which no path, address or name can carry` };
  }
  return ok(value);
}

/** A user or group: a name, or a number that fits uid_t/gid_t (kept as a string). */
function id(value: unknown): Coerced {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
  if (n === undefined) return noNul(value, 'a name');
  return Number.isInteger(n) && n >= 0 && n <= MAX_ID ? ok(String(n)) : fail();
}

function octal(value: unknown, text: string | undefined): Coerced {
  if (text !== undefined) {
    const m = /^(?:0o)?([0-7]+)$/i.exec(text.trim());
    return m ? ok(parseInt(m[1] as string, 8)) : fail();
  }
  if (typeof value === 'string') return octal(value, value);
  // a YAML number without source text (an alias, a flow value): its digits, read as octal
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return octal(value, String(value));
  return ok(value);
}

function signal(value: unknown): Coerced {
  if (typeof value !== 'string' && typeof value !== 'number') return ok(value);
  if (typeof value === 'string' && /^SIGRT|^RTM/i.test(value.trim())) {
    return fail('real-time signals cannot be named here');
  }
  const name = normalizeSignal(value);
  return name === undefined ? fail() : ok(name);
}

function envMap(value: unknown, textual: boolean): Coerced {
  if (typeof value === 'string' && textual) {
    // Circus's parse_env_str: "K=V, K2=V2"
    const out: Record<string, string> = {};
    for (const part of value.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) return fail('write KEY=VALUE pairs separated by commas');
      out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return ok(out);
  }
  if (!isMap(value)) return ok(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : v === null ? '' : v;
  }
  return ok(out);
}

const ENUM_ALIASES: Record<string, string> = {
  warning: 'warn',
  critical: 'error',
  inet: 'AF_INET',
  inet6: 'AF_INET6',
  unix: 'AF_UNIX',
  stream: 'SOCK_STREAM',
  dgram: 'SOCK_DGRAM',
  seqpacket: 'SOCK_SEQPACKET',
  on_failure: 'on-failure',
  onfailure: 'on-failure',
};

function canonicalEnum(spec: OptionSpec, s: string): string {
  const values = spec.values ?? [];
  const exact = values.find((v) => v.toLowerCase() === s.toLowerCase());
  if (exact !== undefined) return exact;
  const alias = ENUM_ALIASES[s.toLowerCase()];
  return alias !== undefined && values.includes(alias) ? alias : s;
}
