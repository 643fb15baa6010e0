// How a sweep hears "stop": SIGINT (Ctrl-C) → 130, SIGTERM and SIGHUP (CI cancelling, `timeout`,
// a closed terminal, a launcher gone) → 143. The first stops the sweep gracefully; a second one,
// later, quits at once.

export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 143 };
export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * One press can arrive twice: `timeout` signals the child and then its whole process group, and a
 * terminal's Ctrl-C reaches both npm and us, which npm then forwards. Signals closer together
 * than this are one request to stop; a second one after it means "quit now".
 */
export const REPEAT_WINDOW_MS = 1000;

export interface SignalGate {
  /** what to do with a signal received now: stop gracefully, ignore it as a duplicate, or quit */
  receive(signal: NodeJS.Signals, now: number): 'stop' | 'duplicate' | 'quit';
}

export function signalGate(): SignalGate {
  let first: number | null = null;
  return {
    receive(_signal, now) {
      if (first === null) {
        first = now;
        return 'stop';
      }
      return now - first < REPEAT_WINDOW_MS ? 'duplicate' : 'quit';
    },
  };
}

/** Installs handlers for the stop signals; returns their removal. */
export function onStopSignals(handle: (signal: NodeJS.Signals) => void): () => void {
  for (const s of STOP_SIGNALS) process.on(s, handle);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handle);
  };
}
