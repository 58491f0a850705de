import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRingmaster } from '../helpers/run.js';

async function run(args: string[], opts: { pid1?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const rm = startRingmaster(args, { pid1: opts.pid1 ?? false, env: opts.env });
  try {
    const r = await rm.exit();
    return { code: r.code, stdout: rm.stdout(), stderr: rm.stderr() };
  } finally {
    await rm.close();
  }
}

for (const code of [0, 1, 2, 32, 64, 127, 254, 255]) {
  test(`exit code ${code} of the child is ours`, async () => {
    assert.equal((await run(['--', 'sh', '-c', `exit ${code}`], { pid1: true })).code, code);
  });
}

for (const [sig, n] of [
  ['TERM', 15],
  ['HUP', 1],
  ['QUIT', 3],
  ['KILL', 9],
] as const) {
  test(`a child killed by SIG${sig} gives ${128 + n}`, async () => {
    assert.equal((await run(['--', 'sh', '-c', `kill -${sig} $$`], { pid1: true })).code, 128 + n);
  });
}

test('a command that does not exist: 127 and one line on stderr', async () => {
  const r = await run(['no-such-command-xyz']);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /command not found: no-such-command-xyz/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a command that is not executable: 126', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-cli-'));
  try {
    const f = join(dir, 'script');
    writeFileSync(f, '#!/bin/sh\nexit 0\n');
    chmodSync(f, 0o644);
    const r = await run([f]);
    assert.equal(r.code, 126);
    assert.match(r.stderr, /cannot execute/);
    assert.equal((await run(['/etc'])).code, 126);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-e remaps the listed exit codes to 0 and only those', async () => {
  for (const code of [0, 1, 3, 143, 255]) {
    assert.equal((await run(['-e', String(code), '--', 'sh', '-c', `exit ${code}`])).code, 0);
    const others = [0, 1, 3, 143, 255].filter((c) => c !== code).flatMap((c) => ['-e', String(c)]);
    assert.equal((await run([...others, '--', 'sh', '-c', `exit ${code}`])).code, code);
  }
});

test('-e 143 turns a SIGTERMed child into exit 0 (the JVM case)', async () => {
  assert.equal((await run(['-e', '143', '--', 'sh', '-c', 'kill -TERM $$'])).code, 0);
});

test('usage errors exit 64 with a message', async () => {
  let r = await run(['--bogus']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /unknown option --bogus/);
  r = await run(['--grace', '5', 'true']);
  assert.match(r.stderr, /did you mean --graceful-timeout/);
  r = await run([]);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /no command and no configuration/);
  r = await run(['-t', 'soon', 'true']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--graceful-timeout takes a number of seconds >= 0, got "soon"/);
  r = await run(['-t', '1e308', 'true']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--graceful-timeout takes at most 2147483 seconds \(24\.8 days, the longest timer Node\.js can set\), got "1e308"/);
  r = await run(['-e', '300', 'true']);
  assert.equal(r.code, 64);
});

test('-- ends the options; a second -- is the command (and is not found)', async () => {
  assert.equal((await run(['--', 'true'])).code, 0);
  assert.equal((await run(['--', '--', 'true'])).code, 127);
});

test('options stop at the first word that is not one: the child gets its own -v', async () => {
  const r = await run(['sh', '-c', 'echo "$1"', 'sh', '-v']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), '-v');
});

test('--version and --help', async () => {
  const v = await run(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^ringmaster \d+\.\d+\.\d+/);
  const h = await run(['-h']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage:/);
  assert.match(h.stdout, /--graceful-timeout/);
});

test('RINGMASTER_VERBOSITY=trace logs each SIGCHLD; --log-format json prints JSON lines', async () => {
  const r = await run(['--log-format', 'json', '--', 'sh', '-c', "sh -c 'true & exec sleep 0.1'; sleep 0.2"], { env: { ...process.env, RINGMASTER_VERBOSITY: 'trace' } });
  assert.equal(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.length > 0);
  for (const l of lines) {
    const o = JSON.parse(l) as { level: string; msg: string; time: string };
    assert.ok(o.level && o.msg && o.time);
  }
  assert.ok(lines.some((l) => l.includes('received SIGCHLD')));
  const quiet = await run(['--', 'sh', '-c', 'true & wait']);
  assert.equal(quiet.stderr, '');
});
