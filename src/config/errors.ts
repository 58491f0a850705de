/**
 * ConfigError and the pieces of an issue message: where (file:line:col) and what
 * (the value, quoted and shortened).
 */
import { RingmasterError, type ConfigIssueCode } from '../errors/codes.js';
import type { ConfigIssue, SourcePos } from './types.js';

/**
 * An invalid configuration: every problem found, each with its code, key path and position.
 * Its own code is RM_CONFIG_LIMIT when a parse limit refused it unread, else RM_CONFIG.
 */
export class ConfigError extends RingmasterError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.some((i) => i.code === 'RM_CONFIG_LIMIT') ? 'RM_CONFIG_LIMIT' : 'RM_CONFIG', summarize(issues));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function summarize(issues: readonly ConfigIssue[]): string {
  if (issues.length === 1) return (issues[0] as ConfigIssue).message;
  return `${issues.length} problems in the configuration:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`;
}

/** `ringmaster.yaml:7:19` */
export function formatPos(pos: SourcePos | undefined): string {
  return pos === undefined ? '' : `${pos.file}:${pos.line}:${pos.column}`;
}

/** ` (ringmaster.yaml:7:19)`, or nothing when the position is unknown. */
export function at(pos: SourcePos | undefined): string {
  return pos === undefined ? '' : ` (${formatPos(pos)})`;
}

/** YAML's name of a number JSON has none for (JSON.stringify writes null): .inf, -.inf, .nan */
function yamlName(n: number): string {
  return Number.isNaN(n) ? '.nan' : n > 0 ? '.inf' : '-.inf';
}

/** A value as it appears in a message: JSON, shortened to 60 characters; .inf and .nan by name. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return `${yamlName(value)} (${Number.isNaN(value) ? 'not a number' : 'infinity'})`;
  }
  if (value === undefined) return 'nothing';
  const s = preview(value, { left: 61 });
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * JSON.stringify that stops once `budget.left` characters are written: a message about
 * a list of 10 000 items shows its start without serializing it all (once per issue).
 */
function preview(v: unknown, budget: { left: number }): string {
  if (budget.left <= 0) return '';
  if (typeof v === 'object' && v !== null) {
    const entries: Array<[string | undefined, unknown]> = [];
    const arr = Array.isArray(v);
    if (arr) for (let i = 0; i < v.length && entries.length < budget.left; i++) entries.push([undefined, v[i]]);
    else for (const k in v) if (entries.length < budget.left) entries.push([k, (v as Record<string, unknown>)[k]]);
    budget.left -= 2;
    const items: string[] = [];
    for (const [k, x] of entries) {
      if (budget.left <= 0) break;
      const key = k === undefined ? '' : `${JSON.stringify(k)}:`;
      budget.left -= key.length + 1;
      items.push(key + preview(x, budget));
    }
    return arr ? `[${items.join(',')}]` : `{${items.join(',')}}`;
  }
  // inside a map or list, .inf and .nan as YAML writes them (JSON would say null)
  const s = typeof v === 'number' && !Number.isFinite(v) ? yamlName(v) : (JSON.stringify(typeof v === 'string' ? v.slice(0, budget.left) : v) ?? String(v));
  budget.left -= s.length;
  return s;
}

/** Build an issue whose message ends with the position. */
export function issue(code: ConfigIssueCode, path: string, text: string, pos: SourcePos | undefined, value?: unknown): ConfigIssue {
  const out: ConfigIssue = { code, path, message: `${text}${at(pos)}`, pos };
  if (value !== undefined) out.value = value;
  return out;
}

/** Sort issues by file, line, column; those without a position last. Stable otherwise. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((x, i) => ({ x, i }))
    .sort((a, b) => {
      const pa = a.x.pos;
      const pb = b.x.pos;
      if (pa && pb) {
        if (pa.file !== pb.file) return pa.file < pb.file ? -1 : 1;
        return pa.line - pb.line || pa.column - pb.column || a.i - b.i;
      }
      if (pa) return -1;
      if (pb) return 1;
      return a.i - b.i;
    })
    .map((e) => e.x);
}
