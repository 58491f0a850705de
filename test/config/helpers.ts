/** Shared helpers of the config tests: parse or fail, temp dirs that clean up. */
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/config.js';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfigText, type Config, type ConfigIssue } from '../../src/config/index.js';

/** fixtures/config/ of the repository (tests run from dist/test/config/). */
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/config/', import.meta.url));

export function yaml(text: string, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfigText(text, { file: 'ringmaster.yaml', env });
}

export function ini(text: string, env: NodeJS.ProcessEnv = {}, file = 'circus.ini', cwd?: string): Config {
  return parseConfigText(text, cwd === undefined ? { file, env } : { file, env, cwd });
}

/** The issues of a config that must fail. */
export function issuesOf(parse: () => unknown): ConfigIssue[] {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'RM_CONFIG');
    assert.equal(e.exitCode, 78);
    return e.issues;
  }
  assert.fail('expected a ConfigError');
}

/** The messages of a config that must fail. */
export function messagesOf(parse: () => unknown): string[] {
  return issuesOf(parse).map((i) => i.message);
}

/** Run `fn` with a fresh temp dir, removed afterwards whatever happens. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const t = tempDir('ringmaster-config-');
  try {
    return fn(t.dir);
  } finally {
    t.cleanup();
  }
}
