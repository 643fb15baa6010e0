#!/usr/bin/env -S node --single-threaded-gc
// Why the flag: V8 collects garbage on helper threads by default, and with one worker per core
// those helpers steal the other worker's core; a 2-worker sweep then scales 1.5× instead of 1.7×
// (npm run bench). The flag cannot be set at run time (V8 aborts) nor in NODE_OPTIONS.
import { main } from './app.js';
import { processIo } from '../commands/io.js';

watchLauncher();
const code = await main(process.argv.slice(2), processIo());
// Exit now rather than when the event loop drains: worker threads that were stopped (Ctrl-C, a
// timeout) can take a second or more to tear down their WebAssembly heaps, and by now every run is
// written (the store is synchronous). Only the output may still be queued (pipes are asynchronous
// on macOS): an empty write's callback runs once everything before it is flushed.
for (const stream of [process.stdout, process.stderr]) await new Promise((resolve) => stream.write('', resolve));
process.exit(code);

/**
 * Under `npx run-sweep` or `npm exec`, npm is our parent, and npm may exit on SIGTERM without
 * passing the signal on (CI cancelling a job kills the process it started, which is npm): the sweep
 * would train on, orphaned, with no one to read it. When the launcher is gone (we were re-parented),
 * stop as on SIGHUP: runs end KILLED, exit 143. Only under npm: `nohup run-sweep … &` must outlive its shell.
 */
function watchLauncher(): void {
  if (process.env.npm_command === undefined && process.env.npm_lifecycle_event === undefined) return;
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== launcher) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGHUP');
    }
  }, 250);
  timer.unref();
}
