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
