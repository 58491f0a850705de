/**
 * With a terminal: ringmaster, leading the session (as under docker run -it), hands the
 * terminal to the child, which then leads a session of its own with its process group in
 * the foreground. `script` (util-linux) provides the pseudo-terminal and runs the command
 * through a shell: `exec` makes ringmaster the session leader whatever that shell is (bash
 * execs a lone command by itself, dash does not). Without `exec`, ringmaster runs inside the
 * shell's session, as from a developer's terminal, and must leave that terminal alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/run.js';

function underPty(command: string, input = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out: out.replace(/\r/g, '') });
    });
    p.stdin.end(input);
  });
}

const rm = `exec "${process.execPath}" "${BIN}"`;
/** ringmaster run by a shell that stays the session leader (`;` keeps it from exec'ing). */
const inShell = (args: string) => `"${process.execPath}" "${BIN}" ${args};`;
const ids = /ids (\d+)\s+(\d+)\s+(-?\d+)\s+(\d+)/;

test('under a terminal the child leads its own session and its process group is in the foreground', async () => {
  const r = await underPty(`${rm} -- sh -c 'echo "ids $$ $(ps -o pgid=,tpgid=,sid= -p $$)"'`);
  assert.equal(r.code, 0, r.out);
  const m = ids.exec(r.out);
  assert.ok(m, r.out);
  const [, pid, pgid, tpgid, sid] = m;
  assert.equal(pgid, pid);
  assert.equal(sid, pid);
  assert.equal(tpgid, pid, 'the child is not in the foreground');
});

test('an interactive bash under ringmaster has job control, and stdin reaches it', async () => {
  const r = await underPty(`${rm} -- bash --norc -i`, 'echo "flags=$-"\nexit 3\n');
  assert.equal(r.code, 3, r.out);
  assert.match(r.out, /flags=\S*m\S*/);
});

test('under a terminal: exit codes still pass through (127 for a missing command, 143 for SIGTERM)', async () => {
  assert.equal((await underPty(`${rm} -- no-such-command-xyz`)).code, 127);
  assert.equal((await underPty(`${rm} -- sh -c 'kill -TERM $$'`)).code, 143);
});

test('inside a shell\'s session (a developer\'s terminal) the child gets the foreground in that session, as under tini', async () => {
  const r = await underPty(inShell(`-- sh -c 'read line; echo "got $line"; echo "ids $$ $(ps -o pgid=,tpgid=,sid= -p $$)"; exit 5'; echo "rc=$?"`), 'hello\n');
  assert.match(r.out, /got hello/);
  const m = ids.exec(r.out);
  assert.ok(m, r.out);
  const [, pid, pgid, tpgid, sid] = m;
  assert.equal(pgid, pid, 'the child leads a process group of its own');
  assert.equal(tpgid, pid, 'the child is not in the foreground');
  assert.notEqual(sid, pid, 'the child stays in the shell\'s session');
  assert.match(r.out, /rc=5/);
});

test('inside a shell\'s session: an interactive bash has job control; a missing command is 127, SIGTERM 143', async () => {
  const r = await underPty(inShell('-- bash --norc -i'), 'echo "flags=$-"\nexit 3\n');
  assert.match(r.out, /flags=\S*m\S*/);
  const missing = await underPty(`${inShell('-- no-such-command-xyz')} echo "rc=$?"`);
  assert.match(missing.out, /command not found: no-such-command-xyz/);
  assert.match(missing.out, /rc=127/);
  const termed = await underPty(`${inShell(`-- sh -c 'kill -TERM $$'`)} echo "rc=$?"`);
  assert.match(termed.out, /rc=143/);
});
