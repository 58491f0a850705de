import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs, DEFAULT_GRACEFUL_TIMEOUT_MS } from '../../src/cli/args.js';
import { editDistance } from '../../src/config/suggest.js';
import { RingmasterError } from '../../src/errors/codes.js';

test('defaults', () => {
  const o = parseRunArgs(['true']);
  assert.deepEqual(o.command, ['true']);
  assert.equal(o.gracefulTimeoutMs, DEFAULT_GRACEFUL_TIMEOUT_MS);
  assert.ok(DEFAULT_GRACEFUL_TIMEOUT_MS < 30_000, 'default grace must fit in Kubernetes 30 s');
  assert.equal(o.subreaper, true);
  assert.equal(o.processGroup, false);
});

test('short flags combine, values attach or follow', () => {
  const o = parseRunArgs(['-vvgw', '-t5', '-e', '143', '-e143', '--', 'a', '-b']);
  assert.equal(o.verbosityDelta, 2);
  assert.equal(o.processGroup, true);
  assert.equal(o.warnOnReap, true);
  assert.equal(o.gracefulTimeoutMs, 5000);
  assert.deepEqual([...o.remapExit], [143]);
  assert.deepEqual(o.command, ['a', '-b']);
});

test('long options with = or a following value', () => {
  const o = parseRunArgs(['--graceful-timeout=1.5', '--parent-death-signal', 'usr1', '--log-format=json', 'x']);
  assert.equal(o.gracefulTimeoutMs, 1500);
  assert.equal(o.parentDeathSignal, 10);
  assert.equal(o.logFormat, 'json');
});

test('bad input is a usage error with the value and the fix', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--nope'], /unknown option --nope/],
    [['--proces-group'], /did you mean --process-group/],
    [['-Z'], /unknown option -Z/],
    [['-t'], /-t needs a value/],
    [['-t', '-1', 'x'], /got "-1"/],
    [['-p', 'SIGNOPE', 'x'], /--parent-death-signal takes a signal name/],
    [['--log-format', 'xml'], /"text" or "json", got "xml"/],
    [['--help=yes'], /--help takes no value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseRunArgs(argv), (e: unknown) => e instanceof RingmasterError && e.code === 'RM_USAGE' && e.exitCode === 64 && re.test(e.message), argv.join(' '));
  }
});

test('editDistance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('same', 'same'), 0);
});
