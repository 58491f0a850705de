/**
 * The init's entry (bin/ringmaster loads its bundle, or this module when there is none, for
 * everything but `serve`). Its two static imports are small; the rest loads after them.
 */
import { takeInheritedSignals } from '../lifecycle/inherited-signals.js';
import { holdSignals } from '../lifecycle/early-signals.js';

// What bin/ringmaster's shell part read, taken out of our environment before anything is spawned.
takeInheritedSignals();
// First thing, before the modules of a mode load: keep a SIGTERM that comes meanwhile.
holdSignals();
// (no top-level await: the bundle of this file is CommonJS, scripts/bundle.mjs)
void import('./main.js');
