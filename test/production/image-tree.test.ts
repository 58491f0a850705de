/**
 * ringmaster as the image runs it, without Docker: the production tree (`npm ci
 * --omit=dev` of the built package in a temp dir, as the Dockerfile's opt stage does),
 * PID 1 of a new PID and mount namespace, a non-root uid, the config in a directory laid
 * out like a Kubernetes ConfigMap mount. It serves, `ringmaster probe` works, and swapping
 * the `..data` symlink reloads it in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, ROOT, childPids } from '../helpers/run.js';
import { get, portFromLog } from '../helpers/http.js';

const UID = '10001';

function config(greeting: string, n: number): string {
  return `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: node APP/bin/ringmaster serve APP/examples/hello/handler.mjs
    use_sockets: true
    numprocesses: ${n}
    ready: notify
    env:
      GREETING: "${greeting}"
`;
}

test('the production tree runs as PID 1, non-root, from a ConfigMap-style directory; probe and ..data reload work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-image-'));
  chmodSync(dir, 0o755);
  const app = join(dir, 'app');
  mkdirSync(app);
  for (const p of ['package.json', 'package-lock.json', 'bin', 'dist/src', 'examples']) cpSync(join(ROOT, p), join(app, p), { recursive: true });
  // What the Dockerfile's opt stage does for /opt/ringmaster: production dependencies only.
  execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'ignore', timeout: 240_000 });
  assert.ok(!existsSync(join(app, 'node_modules/typescript')), 'dev dependencies were installed');
  const cm = join(dir, 'config');
  mkdirSync(join(cm, '..v1'), { recursive: true });
  writeFileSync(join(cm, '..v1/ringmaster.yaml'), config('one', 1).replaceAll('APP', app));
  symlinkSync('..v1', join(cm, '..data'));
  symlinkSync('..data/ringmaster.yaml', join(cm, 'ringmaster.yaml'));
  execFileSync('chmod', ['-R', 'a+rX', dir]);

  const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: join(dir, 'ctl.sock') };
  chmodSync(dir, 0o777);
  const rm = startProcess(
    ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, join(app, 'bin/ringmaster'), '-c', cm],
    { env, cwd: app },
  );
  try {
    await rm.waitStderr((s) => s.includes('worker ready'), 30_000);
    const init = await rm.initPid();
    const status = (await import('node:fs')).readFileSync(`/proc/${init}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${UID}\\s`, 'm'));
    // The init is node itself (Node 24 names its main thread MainThread: no comm check).
    const { readlinkSync, realpathSync } = await import('node:fs');
    assert.equal(readlinkSync(`/proc/${init}/exe`), realpathSync(process.execPath));
    const port = portFromLog(rm.stderr(), 'web');
    const r = await get(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    await rm.waitStderr((s) => s.includes('http endpoint listening'));
    const http = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1] as string;
    const probe = spawnSync(process.execPath, [join(app, 'bin/ringmaster'), 'probe', '--ready', '--url', http], { encoding: 'utf8' });
    assert.equal(probe.status, 0, probe.stderr);

    // kubelet's update: a new timestamped dir, then ..data swapped atomically
    mkdirSync(join(cm, '..v2'));
    writeFileSync(join(cm, '..v2/ringmaster.yaml'), config('two', 2).replaceAll('APP', app));
    execFileSync('chmod', ['-R', 'a+rX', join(cm, '..v2')]);
    symlinkSync('..v2', join(cm, '..data_tmp'));
    renameSync(join(cm, '..data_tmp'), join(cm, '..data'));
    await rm.waitStderr((s) => s.includes('reload done'), 30_000);
    await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 3, 30_000);
    assert.equal(childPids(init).length, 2);

    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit(30_000)).code, 0, rm.stderr());
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
