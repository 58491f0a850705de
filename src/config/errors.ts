/**
 * ConfigError and the pieces of an issue message: where (file:line:col) and what
 * (the value, quoted and shortened).
 */
import { RingmasterError } from '../errors/codes.js';
import type { ConfigIssue, SourcePos } from './types.js';

/** An invalid configuration: every problem found, each with its key path and position. */
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

/** A value as it appears in a message: JSON, shortened to 60 characters. */
export function formatValue(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? 'nothing' : JSON.stringify(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Build an issue whose message ends with the position. */
export function issue(path: string, text: string, pos: SourcePos | undefined, value?: unknown): ConfigIssue {
  const out: ConfigIssue = { path, message: `${text}${at(pos)}`, pos };
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
