/**
 * A watcher's restart policy: `respawn: always | on-failure | never` (booleans as in
 * Circus: true = always, false = never, in YAML and INI alike) and `success_exit_codes`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ini, issuesOf, messagesOf, yaml } from './helpers.js';

const respawnOf = (c: ReturnType<typeof yaml>): string | undefined => c.watchers[0]?.respawn;

describe('respawn', () => {
  it('defaults to always', () => {
    assert.equal(respawnOf(yaml('watchers:\n  w: {cmd: x}\n')), 'always');
    assert.equal(respawnOf(ini('[watcher:w]\ncmd = x\n')), 'always');
  });

  it('reads the three policies, in any case, and booleans as always and never (YAML)', () => {
    const cases: Array<[string, string]> = [
      ['always', 'always'],
      ['on-failure', 'on-failure'],
      ['On-Failure', 'on-failure'],
      ['on_failure', 'on-failure'],
      ['never', 'never'],
      ['true', 'always'],
      ['false', 'never'],
      ['True', 'always'],
      ['"yes"', 'always'],
      ['"0"', 'never'],
    ];
    for (const [v, want] of cases) assert.equal(respawnOf(yaml(`watchers:\n  w: {cmd: x, respawn: ${v}}\n`)), want, v);
  });

  it('reads the three policies and the Circus booleans (INI)', () => {
    const cases: Array<[string, string]> = [
      ['always', 'always'],
      ['on-failure', 'on-failure'],
      ['NEVER', 'never'],
      ['yes', 'always'],
      ['on', 'always'],
      ['1', 'always'],
      ['no', 'never'],
      ['off', 'never'],
      ['0', 'never'],
    ];
    for (const [v, want] of cases) assert.equal(respawnOf(ini(`[watcher:w]\ncmd = x\nrespawn = ${v}\n`)), want, v);
  });

  it('names the policies in its error', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  w: {cmd: x, respawn: sometimes}\n  v: {cmd: x, respawn: 2}\n')), [
      'watchers.w.respawn must be one of always, on-failure, never (or true = always, false = never), got "sometimes" (ringmaster.yaml:2:24)',
      'watchers.v.respawn must be one of always, on-failure, never (or true = always, false = never), got 2 (ringmaster.yaml:3:24)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[watcher:w]\ncmd = x\nrespawn = unexpected\n')), [
      'watchers.w.respawn must be one of always, on-failure, never (or true = always, false = never), got "unexpected" (circus.ini:3:11)',
    ]);
  });
});

describe('success_exit_codes', () => {
  it('defaults to [0]; takes a YAML list or INI words separated by commas or spaces, sorted, each once', () => {
    assert.deepEqual(yaml('watchers:\n  w: {cmd: x}\n').watchers[0]?.success_exit_codes, [0]);
    assert.deepEqual(yaml('watchers:\n  w: {cmd: x, respawn: on-failure, success_exit_codes: [3, 0, 3, 255]}\n').watchers[0]?.success_exit_codes, [0, 3, 255]);
    assert.deepEqual(ini('[watcher:w]\ncmd = x\nsuccess_exit_codes = 0, 3 7,\n').watchers[0]?.success_exit_codes, [0, 3, 7]);
    assert.deepEqual(yaml('watchers:\n  w: {cmd: x, success_exit_codes: "${CODES}"}\n', { CODES: '1 2' }).watchers[0]?.success_exit_codes, [1, 2]);
    assert.deepEqual(ini('[watcher:w]\ncmd = x\nsuccess_exit_codes =\n').watchers[0]?.success_exit_codes, []);
  });

  it('refuses what is not an exit status', () => {
    const expect = 'must be a list of exit statuses (integers between 0 and 255)';
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  a: {cmd: x, success_exit_codes: [256]}\n  b: {cmd: x, success_exit_codes: [-1]}\n  c: {cmd: x, success_exit_codes: [1.5]}\n  d: {cmd: x, success_exit_codes: 0}\n')), [
      `watchers.a.success_exit_codes ${expect}, got [256] (ringmaster.yaml:2:36)`,
      `watchers.b.success_exit_codes ${expect}, got [-1] (ringmaster.yaml:3:36)`,
      `watchers.c.success_exit_codes ${expect}, got [1.5] (ringmaster.yaml:4:36)`,
      `watchers.d.success_exit_codes ${expect}, got 0 (ringmaster.yaml:5:35)`,
    ]);
    assert.deepEqual(messagesOf(() => ini('[watcher:w]\ncmd = x\nsuccess_exit_codes = 0 x\n[watcher:v]\ncmd = x\nsuccess_exit_codes = 300\n')), [
      `watchers.w.success_exit_codes ${expect}, got "0 x" ("x" is not an integer) (circus.ini:3:22)`,
      `watchers.v.success_exit_codes ${expect}, got [300] (circus.ini:6:22)`,
    ]);
    assert.equal(issuesOf(() => ini(`[watcher:w]\ncmd = x\nsuccess_exit_codes = ${'9'.repeat(400)}\n`))[0]?.path, 'watchers.w.success_exit_codes');
  });
});
