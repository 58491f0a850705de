import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSchedule } from '../../src/config/schedule-check.js';

test('checkSchedule accepts 5 fields, 6 with seconds first, and the @ nicknames', () => {
  for (const e of ['*/5 * * * *', '0 3 * * 1-5', '*/1 * * * * *', '30 0 0 1 1 *', '@daily', '0 0 L * *', ' 0 0 * * * ']) {
    assert.equal(checkSchedule(e, undefined), undefined, e);
  }
  assert.equal(checkSchedule('0 9 * * *', 'Europe/Paris'), undefined);
});

test('checkSchedule: a wrong field count, a value out of range, a bad step: the problem and an example of a valid expression', () => {
  const cases: Array<[string, RegExp]> = [
    ['* * *', /5 fields .* or 6 \(seconds first\), got 3; e\.g\. "\*\/5 \* \* \* \*"/],
    ['* * * * * * 2027', /got 7/],
    ['', /got 0/],
    ['61 * * * *', /not a valid cron expression: invalid value for minute: 61; e\.g\./],
    ['*/0 * * * *', /illegal stepping: 0/],
    ['0 0 * * 8', /dayOfWeek: 8/],
    ['@sometimes', /not a valid cron expression/],
  ];
  for (const [e, re] of cases) assert.match(checkSchedule(e, undefined) ?? '(accepted)', re, e);
});

test('checkSchedule: a schedule that never fires (February 30, April 31) is refused', () => {
  assert.match(checkSchedule('0 0 30 2 *', 'UTC') ?? '', /never fires.*February 30/);
  assert.match(checkSchedule('0 0 31 4 *', undefined) ?? '', /never fires/);
  assert.equal(checkSchedule('0 0 29 2 *', undefined), undefined, 'February 29 comes every 4 years');
});

test('checkSchedule: an unknown time zone names it and says what to write', () => {
  assert.match(checkSchedule('* * * * *', 'Mars/Olympus') ?? '', /timezone "Mars\/Olympus", which is not a time zone; give an IANA name such as "UTC"/);
});

test('checkSchedule: a huge or hostile expression is refused without being echoed', () => {
  const long = `${'1,'.repeat(5000)}1 * * * *`;
  const m = checkSchedule(long, undefined) ?? '';
  assert.match(m, /10009 characters long, over the limit of 256/);
  assert.ok(m.length < 300);
  const junk = `${'x'.repeat(200)} * * * *`;
  const j = checkSchedule(junk, undefined) ?? '';
  assert.ok(!j.includes('x'.repeat(50)), j);
  assert.match(checkSchedule('0 0 * * * \u0000', undefined) ?? '', /not a valid cron expression/);
});

test('the cron library is loaded only when asked for: a config without a schedule does not load it', async () => {
  const { spawnSync } = await import('node:child_process');
  const dist = new URL('../../src/config/', import.meta.url).pathname;
  const script = `
    const { parseConfigText } = await import(${JSON.stringify(`${dist}index.js`)});
    const { cronLoaded } = await import(${JSON.stringify(`${dist}cron.js`)});
    const { checkSchedule } = await import(${JSON.stringify(`${dist}schedule-check.js`)});
    parseConfigText('watchers:\\n  w: {cmd: node app.js}\\n', { file: 'r.yaml', env: {} });
    const before = cronLoaded();
    checkSchedule('* * * * *', undefined);
    console.log(JSON.stringify([before, cronLoaded()]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [false, true]);
});
