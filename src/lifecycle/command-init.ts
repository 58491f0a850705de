/**
 * Single-command mode: `ringmaster [options] -- CMD ARGS...`, what `tini -- CMD` does,
 * plus a grace period and a wait for everything the command left behind.
 *
 *   running --SIGTERM/INT/QUIT--> stopping --grace over--> killing
 *      |                            |                        |
 *      +--child exits--> draining <-+------------------------+
 *                           |
 *                           +--no descendant left (or grace over, then SIGKILL)--> done(code)
 *
 * running:  every signal but SIGCHLD goes to the child (or its process group with -g).
 * stopping: same, and at the deadline everything left gets SIGKILL.
 * draining: the child has exited; its descendants get SIGTERM, then SIGKILL at the deadline.
 */
import { signalNumber } from '../sys/signals.js';
import { assertNever, exitCodeOf, type ExitOutcome } from '../supervisor/process.js';
import type { InitRuntime } from './runtime.js';
import { shutdownSignals } from './signal-policy.js';
import { CommandChild, type ChildOptions } from './command-child.js';

export { stdioWithFds, type TtyHandoff } from './command-child.js';

export interface CommandOptions extends ChildOptions {
  gracefulTimeoutMs: number;
  remapExit: ReadonlySet<number>;
}

type State =
  | { kind: 'running' }
  | { kind: 'stopping'; deadline: number; signal: NodeJS.Signals }
  | { kind: 'killing' }
  | { kind: 'draining'; outcome: ExitOutcome };

const SHUTDOWN_SIGNALS = shutdownSignals('command');

export { exitCodeOf };

export class CommandInit {
  #state: State = { kind: 'running' };
  readonly #rt: InitRuntime;
  readonly #opts: CommandOptions;
  #child: CommandChild | undefined;
  #stopTimer: NodeJS.Timeout | undefined;

  constructor(runtime: InitRuntime, options: CommandOptions) {
    this.#rt = runtime;
    this.#opts = options;
  }

  get state(): State['kind'] {
    return this.#state.kind;
  }

  /** Run the command to the end; resolves with the exit code for the init. */
  async run(): Promise<number> {
    if (this.#opts.command[0] === undefined) throw new Error('CommandInit.run() without a command');
    // Signals are routed first: what a plain spawn gives the child depends on it (signalsToSet).
    this.#rt.start((signal) => this.#onSignal(signal));
    const child = new CommandChild(this.#rt.log, this.#rt.reaper, this.#opts);
    this.#child = child;
    child.start();
    const outcome = await child.waitExit();
    // The child is gone: anything it left behind is now ours. TERM it, wait, KILL it.
    const now = Date.now();
    const st = this.#state;
    const deadline = st.kind === 'stopping' ? st.deadline : st.kind === 'killing' ? now : now + this.#opts.gracefulTimeoutMs;
    this.#state = { kind: 'draining', outcome };
    await this.#rt.terminateDescendants(deadline);
    this.#finish();
    return exitCodeOf(outcome, this.#opts.remapExit);
  }

  #onSignal(signal: NodeJS.Signals): void {
    const s = this.#state;
    if (this.#child?.dropHandoff(signal)) return;
    switch (s.kind) {
      case 'running':
      case 'stopping':
      case 'killing': {
        this.#child?.forward(signal);
        if (s.kind === 'running' && SHUTDOWN_SIGNALS.has(signal)) this.#beginStop(signal);
        return;
      }
      case 'draining':
        // The child is gone; a second TERM means "hurry": pass it on to what is left.
        if (signalNumber(signal) !== undefined) this.#rt.signalDescendants(signal);
        return;
      default:
        return assertNever(s);
    }
  }

  #beginStop(signal: NodeJS.Signals): void {
    const deadline = Date.now() + this.#opts.gracefulTimeoutMs;
    this.#state = { kind: 'stopping', deadline, signal };
    this.#rt.log.info('shutting down', { signal, grace_seconds: this.#opts.gracefulTimeoutMs / 1000 });
    this.#stopTimer = setTimeout(() => {
      if (this.#state.kind !== 'stopping') return;
      this.#state = { kind: 'killing' };
      const n = this.#rt.signalDescendants('SIGKILL');
      this.#rt.log.warn('grace period over: sent SIGKILL', { processes: n });
    }, this.#opts.gracefulTimeoutMs);
  }

  #finish(): void {
    if (this.#stopTimer) clearTimeout(this.#stopTimer);
    this.#stopTimer = undefined;
    this.#rt.dispose();
  }
}
