/**
 * A checked request, carried out on the Controller. What each command answers:
 *
 * | cmd       | result                                        |
 * |-----------|-----------------------------------------------|
 * | status    | the InitSnapshot                              |
 * | start     | null                                          |
 * | stop      | null                                          |
 * | restart   | null (a rolling one answers when it is done)  |
 * | scale     | the new desired number of processes           |
 * | incr/decr | the new desired number of processes           |
 * | signal    | how many processes were signaled              |
 * | reload    | the reload's summary (a string)               |
 * | quit      | "shutting down" (answered by the server before quitting) |
 *
 * `events` is not here: the server answers it and then streams (event-stream.ts).
 */
import type { Controller } from '../lifecycle/api.js';
import type { CallRequest } from './protocol.js';

export async function dispatch(controller: Controller, req: CallRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'status':
      return controller.snapshot();
    case 'start':
      await controller.start(req.watcher);
      return null;
    case 'stop':
      await controller.stop(req.watcher);
      return null;
    case 'restart':
      await controller.restart(
        req.watcher,
        req.rolling ? { rolling: true, ...(req.maxSurge === undefined ? {} : { maxSurge: req.maxSurge }) } : { rolling: false },
      );
      return null;
    case 'scale':
      return controller.scale(req.watcher, req.n);
    case 'incr':
      return controller.incr(req.watcher, req.n);
    case 'decr':
      return controller.incr(req.watcher, -req.n);
    case 'signal':
      return controller.signal(req.watcher, req.signal);
    case 'reload':
      return controller.reload();
    case 'quit':
      await controller.quit();
      return 'shutting down';
    default: {
      const never: never = req;
      return never;
    }
  }
}
