/**
 * The signal policy as the README's Markdown table: signals with the same treatment in
 * both modes share a row. `node scripts/signal-table.mjs` writes it into README.md, and a
 * test checks that the README's table is this one. Not loaded by the init.
 */
import { PROFILER_SIGNAL, SIGNAL_POLICY, type SignalAction, type SignalRule } from './signal-policy.js';

/** The markers around the generated table in README.md. */
export const TABLE_BEGIN = '<!-- signal-policy: generated from src/lifecycle/signal-policy.ts by scripts/signal-table.mjs -->';
export const TABLE_END = '<!-- /signal-policy -->';

const COMMAND: Record<SignalAction, string> = {
  forward: 'forwarded',
  'forward-if-listed': 'forwarded',
  shutdown: 'forwarded, then shutdown',
  reload: 'reload',
  'scale-up': 'forwarded',
  'scale-down': 'forwarded',
  reap: 'reaping',
  default: 'not caught (default action)',
  uncatchable: 'cannot be caught',
};

const CONFIG: Record<SignalAction, string> = {
  forward: 'forwarded',
  'forward-if-listed': 'forwarded to the watchers that list it',
  shutdown: 'shutdown',
  reload: 'reload the config',
  'scale-up': 'one more worker of `scale_watcher`',
  'scale-down': 'one worker less of `scale_watcher`',
  reap: 'reaping',
  default: 'not caught (default action)',
  uncatchable: 'cannot be caught',
};

function listable(a: SignalAction): string {
  return a === 'forward' ? 'by default' : a === 'forward-if-listed' ? 'may be listed' : 'config error';
}

function commandCell(r: SignalRule): string {
  const text = COMMAND[r.command];
  return r.name === PROFILER_SIGNAL ? `${text} (not while ringmaster itself runs V8's profiler)` : text;
}

/** The table, one line per row, with its header. */
export function signalTableMarkdown(): string {
  const rows = new Map<string, { names: string[]; cells: string[] }>();
  for (const r of SIGNAL_POLICY) {
    const cells = [commandCell(r), CONFIG[r.config], listable(r.config)];
    const key = cells.join('|');
    const row = rows.get(key) ?? { names: [], cells };
    row.names.push(r.name);
    rows.set(key, row);
  }
  const lines = [
    '| signal | `ringmaster -- CMD` | `ringmaster -c FILE` | in `forward_signals` |',
    '|---|---|---|---|',
    ...[...rows.values()].map((row) => `| ${row.names.join(', ')} | ${row.cells.join(' | ')} |`),
    '| real-time (34-64) | not caught (Node.js cannot listen to them) | not caught | config error |',
  ];
  return lines.join('\n');
}
