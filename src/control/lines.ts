/**
 * Newline framing for the control protocol, both sides. A line has a size limit so that a
 * peer that never sends a newline cannot make the init buffer without end.
 */
import { StringDecoder } from 'node:string_decoder';

/** Longer than any request; a status answer with many workers fits many times over. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export type LineEvent = { kind: 'line'; line: string } | { kind: 'too-long'; bytes: number };

/** Splits chunks into lines (without the newline; `\r\n` too). Blank lines are skipped. */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #max: number;
  #buf = '';

  constructor(maxBytes = MAX_LINE_BYTES) {
    this.#max = maxBytes;
  }

  push(chunk: Buffer): LineEvent[] {
    this.#buf += this.#decoder.write(chunk);
    const out: LineEvent[] = [];
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl).replace(/\r$/, '');
      this.#buf = this.#buf.slice(nl + 1);
      if (line.trim() !== '') out.push({ kind: 'line', line });
    }
    // chars <= bytes, so a short string is always within the limit and skips the count.
    if (this.#buf.length > this.#max / 4 && Buffer.byteLength(this.#buf) > this.#max) {
      out.push({ kind: 'too-long', bytes: Buffer.byteLength(this.#buf) });
      this.#buf = '';
    }
    return out;
  }
}

export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
