/**
 * The parse limits (src/config/limits.ts): each is a config error with code
 * RM_CONFIG_LIMIT that names the file, what was counted, the value seen and the limit;
 * real configurations stay well under them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type ConfigIssue } from '../../src/config/index.js';
import * as L from '../../src/config/limits.js';
import { BIN } from '../helpers/run.js';
import { ini, withTempDir, yaml } from './helpers.js';

/** The limit issue of a config that must be refused for its size. */
function limitOf(parse: () => unknown): ConfigIssue {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'RM_CONFIG_LIMIT', e.message);
    assert.equal(e.exitCode, 78);
    const found = e.issues.find((i) => i.code === 'RM_CONFIG_LIMIT');
    assert.ok(found, e.message);
    return found;
  }
  assert.fail('expected the config to be refused');
}

const times = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('');

/** A billion-laughs document: `levels` anchors, each alias list ten times the one before. */
function bomb(levels: number): string {
  let s = 'x0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n';
  for (let i = 1; i < levels; i++) s += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
  return `${s}watchers:\n  web:\n    cmd: node\n    args: *a${levels - 1}\n`;
}

/** The realistic 200-watcher config the limits are sized for. */
function real(watchers: number): string {
  const sockets = times(watchers, (i) => `  web${i}:\n    host: 0.0.0.0\n    port: ${8000 + i}\n`);
  const ws = times(
    watchers,
    (i) =>
      `  # shard ${i}\n  web${i}:\n    cmd: node server.js --fd $(circus.sockets.web${i})\n    args: [--shard, "${i}"]\n    numprocesses: 4\n` +
      `    use_sockets: true\n    sockets: [web${i}]\n    working_dir: /srv/app\n    graceful_timeout: 30\n    max_retry: 5\n` +
      `    stop_signal: SIGTERM\n    priority: ${i % 10}\n    env:\n      NODE_ENV: production\n      SHARD: "${i}"\n      LOG_LEVEL: info\n`,
  );
  return `sockets:\n${sockets}watchers:\n${ws}`;
}

describe('parse limits', () => {
  it('a real config with 200 watchers, 12 options and a socket each loads', () => {
    const c = yaml(real(200));
    assert.equal(c.watchers.length, 200);
    assert.equal(c.sockets.length, 200);
  });

  it('a YAML alias bomb is refused, with the file, what was counted, the count and the limit', () => {
    const i = limitOf(() => yaml(bomb(5)));
    assert.match(i.message, /^ringmaster\.yaml: at least 10001 values, maps and lists \(after aliases\) .*, over the limit of 10000 \(RM_CONFIG_LIMIT\); .* \(ringmaster\.yaml:\d+:\d+\)$/);
    const aliases = `x: &a 1\nwatchers:\n  w:\n    cmd: x\n    args: [${times(L.MAX_ALIASES + 1, () => '*a,')}2]\n`;
    assert.match(limitOf(() => yaml(aliases)).message, /^ringmaster\.yaml: at least 1001 alias expansions, over the limit of 1000 \(RM_CONFIG_LIMIT\); use fewer \*aliases \(ringmaster\.yaml:5:\d+\)$/);
  });

  it('aliases that expand to more nodes than the limit are refused, and so is a cycle', () => {
    const big = `x: &a [${times(99, () => '1,')}1]\nwatchers:\n  w:\n    cmd: x\n    args: [${times(150, () => '*a,')}*a]\n`;
    assert.match(limitOf(() => yaml(big)).message, /at least 10001 values, maps and lists .* over the limit of 10000/);
    assert.match(limitOf(() => yaml('a: &a [*a, *a]\nwatchers:\n  w: {cmd: x, args: *a}\n')).message, /over the limit of/);
  });

  it('too many YAML tokens, or collections nested too deep, are refused before the YAML composer runs', () => {
    const tokens = `watchers:\n  w:\n    cmd: x\n    args: [${times(L.MAX_YAML_TOKENS, () => '1,')}1]\n`;
    assert.match(limitOf(() => yaml(tokens)).message, /^ringmaster\.yaml: at least 20001 YAML tokens, over the limit of 20000 .*\(ringmaster\.yaml:4:\d+\)$/);
    const flow = `watchers: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    assert.match(limitOf(() => yaml(flow)).message, /levels of nested collections, over the limit of 64/);
    const block = `watchers:\n${times(100, (i) => `${' '.repeat(i + 1)}-\n`)}`;
    assert.match(limitOf(() => yaml(block)).message, /levels of nested collections, over the limit of 64/);
    assert.match(limitOf(() => yaml(`watchers: ${'- '.repeat(100)}x\n`)).message, /levels of nested collections/);
  });

  it('a file larger than the byte limit is refused unparsed, in YAML, INI and RINGMASTER_CONFIG', () => {
    const pad = (head: string): string => head + '#'.repeat(L.MAX_CONFIG_BYTES + 1 - head.length);
    assert.match(limitOf(() => yaml(pad('watchers:\n  w: {cmd: x}\n'))).message, /^ringmaster\.yaml: 262145 bytes, over the limit of 262144/);
    assert.match(limitOf(() => ini(pad('[watcher:w]\ncmd = x\n'))).message, /^circus\.ini: 262145 bytes/);
    withTempDir((dir) => {
      writeFileSync(join(dir, 'big.ini'), pad('[watcher:w]\ncmd = x\n'));
      assert.match(limitOf(() => loadConfig({ path: 'big.ini', env: {}, cwd: dir })).message, /^big\.ini: 262145 bytes/);
      const env = { RINGMASTER_CONFIG: pad('watchers:\n  w: {cmd: x}\n') };
      assert.match(limitOf(() => loadConfig({ env, cwd: dir })).message, /^RINGMASTER_CONFIG: 262145 bytes/);
    });
  });

  it('INI: includes count against the file and byte limits of the whole configuration', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'main.ini'), '[circus]\ninclude = inc-*.ini\n[watcher:w]\ncmd = x\n');
      for (let i = 0; i < L.MAX_CONFIG_FILES; i++) writeFileSync(join(dir, `inc-${String(i).padStart(3, '0')}.ini`), `[watcher:w${i}]\ncmd = x\n`);
      const i = limitOf(() => loadConfig({ path: 'main.ini', env: {}, cwd: dir }));
      assert.match(i.message, /inc-255\.ini: at least 257 files, over the limit of 256/);
    });
  });

  it('watchers, sockets, [env:...] patterns, INI sections and keys, and name length are bounded', () => {
    const watchers = `watchers:\n${times(L.MAX_WATCHERS + 1, (i) => `  w${i}: {cmd: x}\n`)}`;
    assert.match(limitOf(() => yaml(watchers)).message, /^ringmaster\.yaml: 501 watchers, over the limit of 500 .*\(ringmaster\.yaml:502:3\)$/);
    const sockets = `${times(L.MAX_SOCKETS + 1, (i) => `[socket:s${i}]\nport = 0\n`)}[watcher:w]\ncmd = x\n`;
    assert.match(limitOf(() => ini(sockets)).message, /^circus\.ini: 501 sockets, over the limit of 500/);
    const patterns = `[env:${times(L.MAX_ENV_PATTERNS + 1, (i) => `w${i},`)}]\nA = 1\n[watcher:w]\ncmd = x\n`;
    assert.match(limitOf(() => ini(patterns)).message, /65 \[env:\.\.\.\] patterns, over the limit of 64/);
    const keys = `[watcher:w]\ncmd = x\n${times(L.MAX_NODES, (i) => `k${i} = 1\n`)}`;
    assert.match(limitOf(() => ini(keys)).message, /^circus\.ini: at least 10001 values, .* \(circus\.ini:10001:1\)$/);
    const long = 'K'.repeat(L.MAX_NAME_LENGTH + 1);
    assert.match(limitOf(() => yaml(`watchers:\n  w:\n    cmd: x\n    env: {${long}: v}\n`)).message, /257 characters in a name, over the limit of 256/);
    assert.match(limitOf(() => ini(`[watcher:${long}]\ncmd = x\n`)).message, /^circus\.ini: 265 characters in a name/);
  });

  it('thousands of unknown keys are reported as the first 100 and a count', () => {
    const e = (() => {
      try {
        ini(`[watcher:w]\ncmd = x\n${times(5000, (i) => `k${i} = 1\n`)}`);
      } catch (err) {
        return err as ConfigError;
      }
      assert.fail('expected an error');
    })();
    assert.equal(e.code, 'RM_CONFIG');
    assert.equal(e.issues.length, 101);
    assert.match(e.issues[100]?.message ?? '', /^4900 more schema errors are not listed \(the first 100 are\)$/);
  });
});

/** `ringmaster check` in a child, killed after 30 s: reads that never end show as a kill. */
function check(path: string, cwd: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'check', path], { cwd, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH } });
  return { status: r.status, stderr: r.stderr };
}

describe('config files are regular files, read bounded', () => {
  it('check refuses a character device as the config, a device or FIFO as an include, without reading it; a pipe given as the config is read', () => {
    withTempDir((dir) => {
      execFileSync('mkfifo', [join(dir, 'pipe.ini')]);
      writeFileSync(join(dir, 'main.ini'), '[circus]\ninclude = pipe.ini /dev/zero\n[watcher:w]\ncmd = /bin/true\n');
      const inc = check('main.ini', dir);
      assert.equal(inc.status, 78, inc.stderr);
      assert.match(inc.stderr, /cannot read .*\/pipe\.ini: it is a FIFO, not a regular file/);
      assert.match(inc.stderr, /cannot read \/dev\/zero: it is a character device, not a regular file/);
      const dev = check('/dev/zero', dir);
      assert.equal(dev.status, 78, dev.stderr);
      assert.match(dev.stderr, /^cannot read \/dev\/zero: it is a character device, not a regular file; give the path of a config file \(or of a ConfigMap directory\)$/m);
      // The config named on the command line may be a pipe (`-c <(...)`), read to its end
      // within the byte limit; only a running init's reload refuses one (test/config/read).
      const fed = spawnSync('sh', ['-c', 'printf "[watcher:w]\\ncmd = /bin/true\\n" > pipe.ini & exec "$0" "$1" check pipe.ini', process.execPath, BIN], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH },
      });
      assert.equal(fed.status, 0, fed.stderr);
    });
  });

  it('check on an include of /proc/self/* ends with a config error, within the limits', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'main.ini'), '[circus]\ninclude = /proc/self/*\n[watcher:w]\ncmd = /bin/true\n');
      const r = check('main.ini', dir);
      assert.equal(r.status, 78, r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    });
  });
});
