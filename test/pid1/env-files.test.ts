import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/config.js';
import { startRingmaster } from '../helpers/run.js';

test('as PID 1: a worker sees the variables of env_file (below env) and a secret read with ${file:}, which no log line shows; a reload reads them again', async () => {
  const t = tempDir();
  mkdirSync(`${t.dir}/run/secrets`, { recursive: true });
  writeFileSync(`${t.dir}/run/secrets/db_password`, 'correct-horse-battery\n');
  writeFileSync(`${t.dir}/app.env`, 'APP_MODE=production\nOVERRIDDEN=from-file\n');
  const show = 'echo "seen: mode=$APP_MODE over=$OVERRIDDEN pw=$DB_PASSWORD arg=$1"; exec sleep 1000';
  const cfg = t.write(
    'r.yaml',
    `ringmaster:\n  env_file: app.env\nwatchers:\n  web:\n    cmd: /bin/sh\n    args: ["-c", ${JSON.stringify(show)}, "sh", "\${file:run/secrets/db_password}"]\n    env:\n      OVERRIDDEN: inline\n      DB_PASSWORD: \${file:run/secrets/db_password}\n`,
  );
  const rm = startRingmaster(['-c', cfg, '-vv']);
  try {
    await rm.waitStdout((s) => s.includes('seen:'));
    assert.match(rm.stdout(), /seen: mode=production over=inline pw=correct-horse-battery arg=correct-horse-battery/);
    // a reload reads the files again: a new secret restarts the worker with it
    writeFileSync(`${t.dir}/run/secrets/db_password`, 'new-secret-value\n');
    process.kill(await rm.initPidNow(), 'SIGHUP');
    await rm.waitStdout((s) => s.includes('pw=new-secret-value'));
    // a reload with the file gone: refused, the worker keeps running with the old config
    writeFileSync(cfg, `watchers:\n  web:\n    cmd: /bin/sh\n    args: ["-c", "exec sleep 1000"]\n    env:\n      DB_PASSWORD: \${file:gone}\n`);
    process.kill(await rm.initPidNow(), 'SIGHUP');
    await rm.waitStderr((s) => /DB_PASSWORD: \$\{file:gone\}: cannot read gone/.test(s));
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
    assert.ok(!rm.stderr().includes('correct-horse-battery') && !rm.stderr().includes('new-secret-value'), rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});
