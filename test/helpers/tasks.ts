/** Tasks for tests. */
import type { TaskConfig } from '../../src/config/types.js';

/** A task as the config builds it (only what the scheduler reads matters). */
export function scheduledTask(o: Partial<TaskConfig> = {}): TaskConfig {
  return {
    name: 'tick', argv: ['true'], cmd: 'true', shell: false, working_dir: undefined, uid: undefined, gid: undefined,
    copy_env: true, env: {}, env_file: [], output: 'prefix', rlimits: {}, when: 'start', timeout: 0, graceful_timeout: 5,
    retries: 0, backoff_initial: 1, backoff_multiplier: 2, backoff_max: 60, backoff_jitter: 0, depends_on: [], priority: 0,
    schedule: '*/1 * * * * *', timezone: 'UTC', ...o,
  };
}

