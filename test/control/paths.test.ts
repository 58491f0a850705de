import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { controlSocketPath, locateControlSocket } from '../../src/control/paths.js';
import { formatDuration } from '../../src/control/status-table.js';

test('control socket path: environment, then config, then the per-uid default in the temp dir', () => {
  const uid = process.getuid?.() ?? 0;
  assert.equal(controlSocketPath({ RINGMASTER_CONTROL_SOCKET: '/run/rm.sock' }, '/etc/x.sock'), '/run/rm.sock');
  assert.equal(controlSocketPath({}, '/etc/x.sock'), '/etc/x.sock');
  assert.equal(controlSocketPath({ RINGMASTER_CONTROL_SOCKET: ' ' }, undefined), `${tmpdir()}/ringmaster-${uid}.sock`);
  assert.deepEqual(locateControlSocket({}, ''), { path: `${tmpdir()}/ringmaster-${uid}.sock`, source: 'default' });
  assert.equal(locateControlSocket({}, '/etc/x.sock').source, 'config');
});

test('durations in status', () => {
  assert.equal(formatDuration(-5), '0s');
  assert.equal(formatDuration(45_999), '45s');
  assert.equal(formatDuration(187_000), '3m07s');
  assert.equal(formatDuration(7_380_000), '2h03m');
  assert.equal(formatDuration(352_800_000), '4d02h');
});
