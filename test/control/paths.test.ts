import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { controlOwner, defaultControlDirs, namedControlSocket, RUN_DIR } from '../../src/control/paths.js';
import { formatDuration } from '../../src/control/status-table.js';

test('control socket path: environment, then config; else the default directories', () => {
  assert.deepEqual(namedControlSocket({ RINGMASTER_CONTROL_SOCKET: '/run/rm.sock' }, '/etc/x.sock'), { path: '/run/rm.sock', source: 'env' });
  assert.deepEqual(namedControlSocket({}, '/etc/x.sock'), { path: '/etc/x.sock', source: 'config' });
  assert.equal(namedControlSocket({ RINGMASTER_CONTROL_SOCKET: ' ' }, ''), undefined);
  // No XDG_RUNTIME_DIR: /run/ringmaster for an init started as root, then the per-user temp dir.
  assert.deepEqual(defaultControlDirs(10001, {}, true), [RUN_DIR, `${tmpdir()}/ringmaster-10001`]);
  assert.deepEqual(defaultControlDirs(10001, {}, false), [`${tmpdir()}/ringmaster-10001`]);
  // An XDG_RUNTIME_DIR of another user (root's /run/user/0 when dropping to 10001) is not used.
  assert.deepEqual(defaultControlDirs(10001, { XDG_RUNTIME_DIR: '/' }, false), [`${tmpdir()}/ringmaster-10001`]);
  assert.deepEqual(defaultControlDirs(0, { XDG_RUNTIME_DIR: '/' }, false), ['/ringmaster', `${tmpdir()}/ringmaster-0`]);
});

test('the owner of the default directory is the user the init drops to', () => {
  assert.deepEqual(controlOwner('nobody', undefined), { uid: 65534, gid: 65534 });
  assert.deepEqual(controlOwner('10001', undefined), { uid: 10001, gid: 10001 });
  assert.deepEqual(controlOwner('10001', '0'), { uid: 10001, gid: 0 });
  assert.deepEqual(controlOwner(undefined, undefined), { uid: process.getuid?.(), gid: process.getgid?.() });
  assert.equal(controlOwner('no-such-user-here', undefined), undefined);
});

test('durations in status', () => {
  assert.equal(formatDuration(-5), '0s');
  assert.equal(formatDuration(45_999), '45s');
  assert.equal(formatDuration(187_000), '3m07s');
  assert.equal(formatDuration(7_380_000), '2h03m');
  assert.equal(formatDuration(352_800_000), '4d02h');
});
