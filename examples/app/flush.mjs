// The stop task: runs once every watcher has stopped.
import { writeFileSync } from 'node:fs';
import { at } from './state.mjs';

writeFileSync(at('flushed'), `${new Date().toISOString()}\n`);
console.log('flush: done');
