/**
 * The counters of a real init move when their events happen: an orphan reaped, a signal
 * forwarded, a reload that fails and one that succeeds, a worker restarted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { startRingmaster, sleep } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';
import { parseExposition } from './fake.js';

const CONFIG = (n: number) => `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  web:
    cmd: sh -c "trap 'echo usr1' USR1; (sleep 0.2 &); while :; do sleep 0.1; done"
    numprocesses: ${n}
`;

test('metrics of a live init: reaped orphans, forwarded signals, reloads, restarts', async () => {
  const t = tempDir();
  const path = t.write('m.yaml', CONFIG(1));
  // New configs are written through a hard link in another directory: the init's watch of
  // the config's directory sees no event, so each reload is the one `ctl reload` asks for
  // (a watch that fired before a slow-to-start ctl would count the bad config twice).
  mkdirSync(`${t.dir}/side`);
  const side = `${t.dir}/side/m.yaml`;
  linkSync(path, side);
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    const url = `${/http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1] as string}/metrics`;
    const scrape = async (): Promise<Map<string, number>> => parseExposition((await get(url)).body).values;
    const v = (m: Map<string, number>, k: string): number => m.get(k) ?? 0;
    // Each worker leaves one orphan (the backgrounded sleep), which comes to us to be reaped.
    let m0 = await scrape();
    for (let i = 0; i < 50 && v(m0, 'ringmaster_zombies_reaped_total') < 1; i++) {
      await sleep(100);
      m0 = await scrape();
    }
    assert.ok(v(m0, 'ringmaster_zombies_reaped_total') >= 1, 'the orphan was not counted');

    const init = await rm.initPid();
    process.kill(init, 'SIGUSR1');
    await rm.waitStdout((s) => s.includes('usr1'));
    writeFileSync(side, 'watchers: [not, a, map]\n');
    assert.equal((await ctl(rm, ['reload'])).code, 1);
    writeFileSync(side, CONFIG(2));
    assert.equal((await ctl(rm, ['reload'])).code, 0);
    assert.equal((await ctl(rm, ['signal', 'web', 'KILL'])).code, 0);
    await rm.waitStderr((s) => (s.match(/worker started watcher=web/g) ?? []).length >= 4);

    let m1 = await scrape();
    for (let i = 0; i < 50 && v(m1, 'ringmaster_zombies_reaped_total') <= v(m0, 'ringmaster_zombies_reaped_total'); i++) {
      await sleep(100);
      m1 = await scrape();
    }
    assert.ok(v(m1, 'ringmaster_zombies_reaped_total') > v(m0, 'ringmaster_zombies_reaped_total'), 'a new worker\'s orphan was not counted');
    assert.equal(v(m1, 'ringmaster_signals_forwarded_total{signal="SIGUSR1"}') - v(m0, 'ringmaster_signals_forwarded_total{signal="SIGUSR1"}'), 1);
    assert.equal(v(m1, 'ringmaster_config_reloads_total{result="failure"}'), 1);
    assert.equal(v(m1, 'ringmaster_config_reloads_total{result="success"}'), 1);
    assert.ok(v(m1, 'ringmaster_config_last_reload_success_timestamp_seconds') > v(m0, 'ringmaster_config_last_reload_success_timestamp_seconds'));
    assert.equal(v(m1, 'ringmaster_watcher_desired_processes{watcher="web"}'), 2);
    assert.equal(v(m1, 'ringmaster_process_restarts_total{watcher="web",reason="exit"}'), 2);
    assert.equal(v(m1, 'ringmaster_process_exits_total{watcher="web",reason="signaled"}'), 2);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
