/**
 * The `ready` option. YAML takes a map; both formats take a string:
 *
 * | string                          | map                                  | meaning                         |
 * |---------------------------------|--------------------------------------|---------------------------------|
 * | `none`                          |                                      | ready once spawned (default)    |
 * | `notify` / `notify timeout=30`  | `{notify: true, timeout: 30}`        | sd_notify READY=1               |
 * | `delay:2`                       | `{delay: 2}`                         | ready 2 s after spawn           |
 * | `http://127.0.0.1:8000/healthz` | `{http: URL, timeout: 30}`           | the URL answers 2xx             |
 *
 * A string form may end in ` timeout=S`. Timeouts default to 60 s.
 */
import type { ReadyCheck } from './types.js';

/** Seconds a notify or HTTP check may take before the worker counts as failed. */
export const DEFAULT_READY_TIMEOUT = 60;

/** Turn the string form into the map form; undefined when the string is not a readiness check. */
export function readyFromString(s: string): unknown {
  const t = s.trim();
  const m = /^(.*?)(?:\s+timeout\s*=\s*(\S+))?$/.exec(t);
  const head = (m?.[1] ?? t).trim();
  const timeout = m?.[2] === undefined ? undefined : Number(m[2]);
  if (timeout !== undefined && !Number.isFinite(timeout)) return undefined;
  const withTimeout = (o: Record<string, unknown>): Record<string, unknown> =>
    timeout === undefined ? o : { ...o, timeout };
  const lower = head.toLowerCase();
  if (lower === 'none' || lower === '') return timeout === undefined ? 'none' : undefined;
  if (lower === 'notify') return timeout === undefined ? 'notify' : { notify: true, timeout };
  const delay = /^delay\s*[:=]\s*(\S+)$/i.exec(head);
  if (delay) {
    const n = Number(delay[1]);
    return Number.isFinite(n) && timeout === undefined ? { delay: n } : undefined;
  }
  if (/^https?:\/\//i.test(head)) return withTimeout({ http: head });
  return undefined;
}

/** The ReadyCheck of a validated `ready` value (absent = none). */
export function readyCheck(v: unknown): ReadyCheck {
  if (v === 'notify') return { kind: 'notify', timeout: DEFAULT_READY_TIMEOUT };
  if (typeof v !== 'object' || v === null) return { kind: 'none' };
  const o = v as { notify?: boolean; http?: string; delay?: number; timeout?: number };
  if (o.http !== undefined) return { kind: 'http', url: o.http, timeout: o.timeout ?? DEFAULT_READY_TIMEOUT };
  if (o.delay !== undefined) return { kind: 'delay', seconds: o.delay };
  if (o.notify === true) return { kind: 'notify', timeout: o.timeout ?? DEFAULT_READY_TIMEOUT };
  return { kind: 'none' };
}
