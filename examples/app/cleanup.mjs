// The scheduled cleanup (every 5 minutes, or $CLEANUP_SCHEDULE): it only leaves a trace here.
import { appendFileSync } from 'node:fs';
import { at } from './state.mjs';

appendFileSync(at('cleanup.log'), `${new Date().toISOString()}\n`);
