import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { startRingmaster, type Started } from '../helpers/run.js';
import { webYaml } from './web-config.js';
import { tempDir } from '../helpers/config.js';
import { ctl, statusJson, workerPids, type StatusJson } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';

const config = webYaml;
const snap = statusJson;
const webPids = (s: StatusJson): number[] => workerPids(s, 'web');
const count = (s: string, re: RegExp): number => (s.match(new RegExp(re.source, 'g')) ?? []).length;

function httpUrl(rm: Started): string {
  const m = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr());
  assert.ok(m, rm.stderr());
  return m[1] as string;
}

test('the file watch never applies a config that does not load: truncated, half written, removed, replaced by a FIFO; the old config keeps serving and each failure is logged and counted', async () => {
  const t = tempDir();
  const path = t.write('r.yaml', config({ http: true }));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => count(s, /worker ready watcher=web/) >= 2 && s.includes('http endpoint listening'));
    const base = httpUrl(rm);
    const s0 = await snap(rm);
    const port = s0.sockets[0]?.port;
    const failures = (): number => count(rm.stderr(), /reload failed, the running configuration is unchanged/);
    const serves = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
      assert.equal((await get(`${base}/livez`)).status, 200);
    };

    // 1. An editor truncating the file (`: > r.yaml`).
    writeFileSync(path, '');
    await rm.waitStderr(() => failures() >= 1);
    assert.match(rm.stderr(), /reload failed, the running configuration is unchanged: the configuration defines nothing to run: .*r\.yaml has no watcher/);
    await serves();

    // 2. Half written, the writer paused past the settle delay: caught because the half does not load.
    const full = config({ http: true, webN: 3 });
    const cut = full.indexOf('timeout: 10}');
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, full.slice(0, cut));
      await rm.waitStderr(() => failures() >= 2);
      assert.match(rm.stderr(), /reload failed, the running configuration is unchanged: YAML: /);
      await serves();
      writeSync(fd, full.slice(cut));
    } finally {
      closeSync(fd);
    }
    await rm.waitStderr((s) => s.includes('reload done'), 20_000);
    assert.equal(webPids(await snap(rm)).length, 3);

    // 3. Removed (a file that vanishes), then 4. a FIFO moved into its place: a read would block.
    rmSync(path);
    await rm.waitStderr(() => failures() >= 3);
    assert.match(rm.stderr(), /reload failed, the running configuration is unchanged: config path .*r\.yaml does not exist/);
    execFileSync('mkfifo', [`${t.dir}/fifo`]);
    renameSync(`${t.dir}/fifo`, path);
    await rm.waitStderr(() => failures() >= 4);
    assert.match(rm.stderr(), /cannot read .*r\.yaml: it is a FIFO, not a regular file/);
    await serves();
    const r = await ctl(rm, ['reload']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /it is a FIFO/);

    const s1 = await snap(rm);
    assert.equal(webPids(s1).length, 3, 'the running config changed');
    assert.equal(s1.sockets[0]?.port, port);
    assert.equal(s1.reloads.success, 1);
    assert.equal(s1.reloads.failure, 5);
    const metrics = (await get(`${base}/metrics`)).body;
    assert.match(metrics, /^ringmaster_config_reloads_total\{result="failure"\} 5$/m);
    assert.match(metrics, /^ringmaster_config_reloads_total\{result="success"\} 1$/m);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a busy log file beside the config reloads nothing; a config replaced by rename still reloads', async () => {
  const t = tempDir();
  const path = t.write('r.yaml', config());
  const logFile = `${t.dir}/app.log`;
  const rm = startRingmaster(['-c', path], { env: { ...process.env, RINGMASTER_VERBOSITY: 'debug' } });
  try {
    await rm.waitStderr((s) => count(s, /worker ready watcher=web/) >= 2);
    for (let i = 0; i < 50; i++) appendFileSync(logFile, `line ${i}\n`);
    // The watch saw the log file and set it aside (logged once, whatever the number of writes).
    await rm.waitStderr((s) => s.includes(`config watch: not a configuration file, its changes are ignored path=${logFile}`));
    for (let i = 0; i < 50; i++) appendFileSync(logFile, `more ${i}\n`);
    // An editor's save: a temporary file (not the config either) renamed over the config.
    writeFileSync(`${path}.tmp`, config({ webN: 3 }));
    renameSync(`${path}.tmp`, path);
    await rm.waitStderr((s) => s.includes('reload done'), 20_000);
    const s = await snap(rm);
    assert.equal(webPids(s).length, 3);
    // inotify delivers events in order: every log write came before the rename, and none of them led to a reload.
    assert.equal(count(rm.stderr(), /configuration changed on disk/), 1, rm.stderr());
    assert.match(rm.stderr(), new RegExp(`configuration changed on disk: reloading files=${path.replace(/[.]/g, '\\.')}\\n`));
    assert.equal(s.reloads.success, 1);
    assert.equal(count(rm.stderr(), /its changes are ignored/), 2, 'app.log and r.yaml.tmp, each once');
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
