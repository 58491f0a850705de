/** Run `ringmaster ctl ...` against a test's ringmaster (same RINGMASTER_CONTROL_SOCKET). */
import { spawn } from 'node:child_process';
import { BIN, type Started } from './run.js';

export function ctl(rm: Started, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: rm.controlSocket };
    const p = spawn(process.execPath, [BIN, 'ctl', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The part of `ctl status --json` the tests read. */
export interface StatusJson {
  watchers: Array<{ name: string; desired: number; workers: Array<{ pid: number }> }>;
  sockets: Array<{ name: string; port: number }>;
  reloads: { success: number; failure: number; lastError?: string };
}

/** `ctl status --json` of a test's ringmaster (which must answer). */
export async function statusJson(rm: Started): Promise<StatusJson> {
  const r = await ctl(rm, ['status', '--json']);
  if (r.code !== 0) throw new Error(`ctl status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

/** The pids of a watcher's workers, sorted. */
export const workerPids = (s: StatusJson, watcher: string): number[] => (s.watchers.find((w) => w.name === watcher)?.workers ?? []).map((w) => w.pid).sort();
