#!/usr/bin/env -S node --single-threaded-gc
// Why the flag: V8 collects garbage on helper threads by default, and with one worker per core
// those helpers steal the other worker's core; a 2-worker sweep then scales 1.5× instead of 1.7×
// (npm run bench). The flag cannot be set at run time (V8 aborts) nor in NODE_OPTIONS.
import { main } from './app.js';
import { processIo } from './io.js';

process.exitCode = await main(process.argv.slice(2), processIo());
