/**
 * The endpoints an init runs beside its watchers (InitEndpoint, api.ts), started in the
 * order given at each step around the privilege drop, closed in the reverse order.
 */
import type { Logger } from '../log/logger.js';
import type { EndpointHandle, InitEndpoint } from './api.js';

export class Endpoints {
  readonly #list: readonly InitEndpoint[];
  readonly #log: Logger;
  readonly #open: EndpointHandle[] = [];
  #closed = false;

  constructor(list: readonly InitEndpoint[], log: Logger) {
    this.#list = list;
    this.#log = log;
  }

  /** Run one step of each endpoint (`(e) => e.beforeDrop?.(ctx)`): one that throws is a warning, and the init runs on without it. */
  async start(step: (e: InitEndpoint) => Promise<EndpointHandle | undefined> | undefined): Promise<void> {
    for (const e of this.#list) {
      try {
        const handle = await step(e);
        // started after close() (a shutdown while it loaded): it must not keep the init alive
        if (handle && this.#closed) await handle.close();
        else if (handle) this.#open.push(handle);
      } catch (err) {
        this.#log.warn(`${e.name} endpoint not available, running without it: ${(err as Error).message}`, { endpoint: e.name });
      }
    }
  }

  /** Close every endpoint started, the last first, and any that a later start() brings up. Idempotent; never throws. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const h of this.#open.splice(0).reverse()) {
      try {
        await h.close();
      } catch {
        // closing anyway
      }
    }
  }
}
