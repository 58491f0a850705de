/**
 * The code registry as the README's two Markdown tables (exit codes, error codes).
 * `node scripts/code-tables.mjs` writes them into README.md, and test/unit/codes.test.ts
 * checks that the README's tables are these. Not loaded by the init.
 */
import { CODES, EXIT_CODES, type CodeScope, type ErrorCode, type ExitName } from './codes.js';

/** A generated block of README.md: its markers and its text. */
export interface ReadmeTable {
  begin: string;
  end: string;
  markdown(): string;
}

const SHOWN_SCOPE: Record<CodeScope, string> = {
  init: 'ringmaster exits (logged as `code=...`)',
  config: 'one problem of a configuration (`ConfigIssue.code`)',
  control: "the control socket's answer (`\"code\"`)",
  ctl: '`ringmaster ctl` cannot talk to the socket',
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function exitTableMarkdown(): string {
  const lines = [row(['exit', 'name', 'when']), '|---|---|---|'];
  for (const [name, info] of Object.entries(EXIT_CODES)) lines.push(row([String(info.code), `\`${name}\``, info.description]));
  return lines.join('\n');
}

export function errorTableMarkdown(): string {
  const lines = [row(['code', 'exit', 'where', 'what']), '|---|---|---|---|'];
  for (const [code, info] of Object.entries(CODES) as Array<[ErrorCode, (typeof CODES)[ErrorCode]]>) {
    const exit: ExitName = info.exit;
    lines.push(row([`\`${code}\``, String(EXIT_CODES[exit].code), SHOWN_SCOPE[info.scope], info.description]));
  }
  return lines.join('\n');
}

const generated = (what: string): string => `<!-- ${what}: generated from src/errors/ by scripts/code-tables.mjs -->`;

export const README_TABLES: readonly ReadmeTable[] = [
  { begin: generated('exit-codes'), end: '<!-- /exit-codes -->', markdown: exitTableMarkdown },
  { begin: generated('error-codes'), end: '<!-- /error-codes -->', markdown: errorTableMarkdown },
];
