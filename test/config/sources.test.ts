import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { findSource, loadConfigFrom } from '../../src/config/sources.js';
import { issuesOf, withTempDir } from './helpers.js';

/** Lay out a directory the way the kubelet mounts a ConfigMap. */
function configMap(dir: string, files: Record<string, string>): void {
  const ts = join(dir, '..2024_05_01_12_00_00.123456789');
  mkdirSync(ts);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ts, name), text);
  symlinkSync('..2024_05_01_12_00_00.123456789', join(dir, '..data'));
  for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name));
}

describe('config sources', () => {
  it('reads a ConfigMap directory: ..data symlinks, dot-files skipped, fragments merged in name order', () => {
    withTempDir((root) => {
      const dir = join(root, 'config');
      mkdirSync(dir);
      configMap(dir, {
        '10-base.yaml': 'ringmaster:\n  graceful_timeout: 20\nwatchers:\n  web:\n    cmd: node web.js\n    numprocesses: 2\n',
        '20-site.yml': 'watchers:\n  web:\n    numprocesses: 4\n',
        '30-legacy.ini': '[socket:web]\nport = 0\n[watcher:web]\nargs = --fd $(circus.sockets.web)\n',
        'README.md': 'not a config',
      });
      writeFileSync(join(dir, '.hidden.yaml'), 'this: [is not read');
      const c = loadConfig({ path: 'config', env: {}, cwd: root });
      assert.ok(c);
      assert.equal(c.ringmaster.graceful_timeout, 20);
      assert.deepEqual(c.watchers.map((w) => [w.name, w.numprocesses, w.argv, w.sockets]), [
        ['web', 4, ['node', 'web.js', '--fd', '$(circus.sockets.web)'], ['web']],
      ]);
      assert.deepEqual(c.source.files, ['config/10-base.yaml', 'config/20-site.yml', 'config/30-legacy.ini']);
    });
  });

  it('reports an error in a fragment with the fragment\'s name', () => {
    withTempDir((dir) => {
      configMap(dir, { 'a.yaml': 'watchers:\n  w:\n    cmd: x\n', 'b.yaml': 'watchers:\n  w:\n    priority: high\n' });
      const [i] = issuesOf(() => loadConfig({ path: dir, env: {}, cwd: '/' }));
      assert.equal(i?.message, `watchers.w.priority must be an integer between -2147483648 and 2147483647, got "high" (${join(dir, 'b.yaml')}:3:15)`);
    });
  });

  it('takes opts.path, then RINGMASTER_CONFIG, then RINGMASTER_CONFIG_FILE, then the defaults', () => {
    withTempDir((dir) => {
      const file = (name: string, n: number): string => {
        const p = join(dir, name);
        writeFileSync(p, `watchers:\n  w:\n    cmd: x\n    priority: ${n}\n`);
        return p;
      };
      const fromPath = file('path.yaml', 1);
      const fromFileEnv = file('env-file.yaml', 3);
      const fallback = file('ringmaster.yaml', 4);
      const text = '[watcher:w]\ncmd = x\npriority = 2\n';
      const prio = (opts: { path?: string; env: NodeJS.ProcessEnv }, defaults: string[] = [fallback]): number | undefined =>
        loadConfigFrom({ ...opts, cwd: dir }, defaults)?.watchers[0]?.priority;
      const env = { RINGMASTER_CONFIG: text, RINGMASTER_CONFIG_FILE: fromFileEnv };
      assert.equal(prio({ path: fromPath, env }), 1);
      assert.equal(prio({ env }), 2);
      assert.equal(prio({ env: { RINGMASTER_CONFIG_FILE: 'env-file.yaml' } }), 3);
      assert.equal(prio({ env: {} }), 4);
      assert.equal(loadConfigFrom({ env: {}, cwd: dir }, [join(dir, 'none.yaml')]), null);
      assert.deepEqual(findSource({ env: { RINGMASTER_CONFIG: '  ' }, cwd: dir }, []), undefined);
      // RINGMASTER_CONFIG is sniffed and named in messages
      const c = loadConfigFrom({ env: { RINGMASTER_CONFIG: text }, cwd: dir }, []);
      assert.equal(c?.source.format, 'ini');
      assert.deepEqual(c?.source.files, ['RINGMASTER_CONFIG']);
      const [i] = issuesOf(() => loadConfigFrom({ env: { RINGMASTER_CONFIG: 'watchers:\n  w: {cmd: x, priority: no}\n' }, cwd: dir }, []));
      assert.equal(i?.message, 'watchers.w.priority must be an integer between -2147483648 and 2147483647, got "no" (RINGMASTER_CONFIG:2:25)');
    });
  });

  it('fails clearly when an explicit path is missing or a directory holds no config', () => {
    withTempDir((dir) => {
      assert.deepEqual(issuesOf(() => loadConfig({ path: 'nope.yaml', env: {}, cwd: dir })).map((i) => i.message), [
        'config path nope.yaml does not exist; check the path, or mount the ConfigMap there',
      ]);
      assert.deepEqual(issuesOf(() => loadConfig({ env: { RINGMASTER_CONFIG_FILE: '/nope' }, cwd: dir })).map((i) => i.message), [
        'config path /nope (from RINGMASTER_CONFIG_FILE) does not exist; check the path, or mount the ConfigMap there',
      ]);
      assert.deepEqual(issuesOf(() => loadConfig({ path: dir, env: {}, cwd: '/' })).map((i) => i.message), [
        `config directory ${dir} holds no *.yaml, *.yml or *.ini file`,
      ]);
    });
  });
});
