/**
 * `max_memory` values: bytes with a unit, or a percentage of the container's memory limit.
 *
 * Units are Kubernetes quantities, case-sensitive, with an optional `B`: `Ki Mi Gi Ti`
 * (and `KiB MiB GiB TiB`) are powers of 1024, `k M G T` (and `kB KB MB GB TB`, `K`) powers
 * of 1000; a bare number is bytes. `512MiB` = 536870912, `1G` = `1GB` = 10^9. Lower-case
 * `m` is milli in Kubernetes and `mb`, `g`, `gb` are guesses at a unit: all refused with
 * the two spellings that exist. A percentage (`40%`) is kept as such and resolved against
 * the cgroup's limit by the init (src/lifecycle/memory-limit.ts).
 */

/** Below this, a limit is a slip (`max_memory: 512` meant as MiB): no process runs in less. */
export const MIN_MAX_MEMORY = 1024 * 1024;

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  k: 1e3,
  K: 1e3,
  kB: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  T: 1e12,
  TB: 1e12,
  Ki: 1024,
  KiB: 1024,
  Mi: 1024 ** 2,
  MiB: 1024 ** 2,
  Gi: 1024 ** 3,
  GiB: 1024 ** 3,
  Ti: 1024 ** 4,
  TiB: 1024 ** 4,
};

/** What a max_memory must be, for messages. */
export const MEMORY_EXPECT =
  `0 (off), bytes (at least ${MIN_MAX_MEMORY}) with an optional unit (Ki Mi Gi Ti = powers of 1024, k M G T = powers of 1000, with or without B: 512Mi, 512MiB, 1G), ` +
  'or a percentage of the container memory limit between 1% and 100% (40%)';

export type MemorySize = { ok: true; bytes: number } | { ok: true; percent: number } | { ok: false; reason?: string };

/** Parse a max_memory value (a YAML number, or text from YAML or INI). */
export function parseMemorySize(value: unknown): MemorySize {
  if (typeof value === 'number') return bytes(value);
  if (typeof value !== 'string') return { ok: false };
  const t = value.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    return p >= 1 && p <= 100 ? { ok: true, percent: p } : { ok: false, reason: 'a percentage must be between 1% and 100% of the memory limit' };
  }
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/.exec(t);
  if (!m) return { ok: false };
  const unit = m[2] as string;
  const factor = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  if (factor === undefined) {
    const u = unit.replace(/b$/i, '').toUpperCase();
    const hint = /^[KMGT]I?$/.test(u) ? `: units are case-sensitive, write ${u[0] === 'K' ? 'k' : u[0]} (powers of 1000) or ${u[0]}i (powers of 1024)` : '';
    return { ok: false, reason: `unknown unit "${unit}"${hint}` };
  }
  return bytes(Math.floor(Number(m[1]) * factor));
}

function bytes(n: number): MemorySize {
  if (!Number.isFinite(n) || n < 0) return { ok: false };
  if (n === 0) return { ok: true, bytes: 0 };
  if (!Number.isSafeInteger(n)) return { ok: false, reason: Number.isInteger(n) ? 'too large' : 'bytes are a whole number' };
  if (n < MIN_MAX_MEMORY) return { ok: false, reason: `${n} bytes is less than any process needs; did you mean ${n}Mi?` };
  return { ok: true, bytes: n };
}

/** `512 MiB`, `1.5 GiB`: bytes for a person. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : Math.round(v * 10) / 10} ${units[i]}`;
}
