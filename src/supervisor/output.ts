/**
 * Worker output when it is not simply inherited: each line prefixed with the watcher
 * name and worker id, or wrapped in a JSON object, written to our own stdout/stderr.
 * Lines are read until EOF of the pipe, which comes after the worker's exit, so the last
 * lines of a dying worker are not lost; a final line without a newline is flushed too.
 */
import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { OutputMode } from '../config/types.js';

export interface OutputLabel {
  watcher: string;
  wid: number;
  pid: number | undefined;
}

/** Write all of `text` to `fd` (a pipe may take it in parts); dropped when the fd is closed. */
export function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  for (let tries = 0; off < buf.length && tries < 1000; tries++) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // closed: drop
    }
  }
}

export function formatLine(mode: Exclude<OutputMode, 'inherit'>, label: OutputLabel, stream: 'stdout' | 'stderr', line: string): string {
  if (mode === 'json') {
    return `${JSON.stringify({ time: new Date().toISOString(), watcher: label.watcher, wid: label.wid, pid: label.pid, stream, line })}\n`;
  }
  return `${label.watcher}.${label.wid} | ${line}\n`;
}

/** Copy `readable` line by line to fd 1 or 2 in `mode`. */
export function pipeLines(readable: Readable, mode: Exclude<OutputMode, 'inherit'>, label: OutputLabel, stream: 'stdout' | 'stderr'): void {
  const fd = stream === 'stdout' ? 1 : 2;
  let rest = '';
  readable.setEncoding('utf8');
  readable.on('data', (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (lines.length > 0) writeAll(fd, lines.map((l) => formatLine(mode, label, stream, l)).join(''));
  });
  readable.on('end', () => {
    if (rest !== '') writeAll(fd, formatLine(mode, label, stream, rest));
    rest = '';
  });
  readable.on('error', () => {});
}
