/**
 * ringmaster's own log lines, on stderr: text for people, or one JSON object per line
 * for log collectors. Written with writeSync on fd 2 so the init never turns the
 * shared stderr into a non-blocking stream under its children's feet, and never
 * loses a line it wrote just before exiting.
 */
import { writeSync } from 'node:fs';

export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LogFormat = 'text' | 'json';

/** Verbosity numbers, as `-v` counts them up from the default (1 = warnings). */
export const LEVELS: readonly Level[] = ['error', 'warn', 'info', 'debug', 'trace'];

export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  readonly verbosity: number;
  readonly format: LogFormat;
  enabled(level: Level): boolean;
  error(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  trace(msg: string, fields?: Fields): void;
}

export interface LoggerOptions {
  /** 0 = errors only, 1 = warnings (@default 1), 2 = info, 3 = debug, 4 = trace */
  verbosity?: number;
  /** @default 'text' */
  format?: LogFormat;
  /** Where lines go; @default writeSync(2, line) */
  write?: (line: string) => void;
  /** @default Date.now */
  now?: () => number;
}

function writeStderr(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // stderr closed or full (EAGAIN on a non-blocking pipe): a log line is not worth dying for.
  }
}

function formatValue(v: string | number | boolean | null): string {
  if (typeof v !== 'string') return String(v);
  return /^[\w./:@+[\]%,=-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const verbosity = options.verbosity ?? 1;
  const format = options.format ?? 'text';
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;

  const log = (level: Level, msg: string, fields?: Fields): void => {
    if (LEVELS.indexOf(level) > verbosity) return;
    if (format === 'json') {
      const obj: Record<string, unknown> = { time: new Date(now()).toISOString(), level, msg };
      if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = v;
      write(`${JSON.stringify(obj)}\n`);
      return;
    }
    let line = `ringmaster ${level}: ${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`;
    }
    write(`${line}\n`);
  };

  return {
    verbosity,
    format,
    enabled: (level) => LEVELS.indexOf(level) <= verbosity,
    error: (m, f) => log('error', m, f),
    warn: (m, f) => log('warn', m, f),
    info: (m, f) => log('info', m, f),
    debug: (m, f) => log('debug', m, f),
    trace: (m, f) => log('trace', m, f),
  };
}

/** RINGMASTER_VERBOSITY as a number or a level name; undefined when unset or unreadable. */
export function verbosityFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (/^\d+$/.test(v)) return Math.min(Number(v), LEVELS.length - 1);
  const i = LEVELS.indexOf(v as Level);
  return i >= 0 ? i : undefined;
}
