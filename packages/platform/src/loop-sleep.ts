/**
 * How a background loop (outbox relay, rescore worker) waits between passes: a commit may wake it early,
 * a backoff after a failure refuses to be woken (every commit wakes, which would turn it into a busy
 * loop), and a stop ends any wait at once.
 */
export interface LoopSleep {
  /** Waits `ms`, or less when woken (if `wakeable`); returns at once once the loop no longer runs. */
  pause: (ms: number, wakeable: boolean) => Promise<void>;
  /** Ends a wakeable wait now, or makes the next one return at once. */
  wake: () => void;
  /** Ends whatever wait is in progress (for stop). */
  interrupt: () => void;
}

export function createLoopSleep(isRunning: () => boolean): LoopSleep {
  let wakeRequested = false;
  let sleeping: { wakeable: boolean; end(): void } | undefined;
  return {
    pause: (ms, wakeable) => {
      if (!isRunning()) return Promise.resolve();
      if (wakeable && wakeRequested) {
        wakeRequested = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const end = () => {
          clearTimeout(timer);
          sleeping = undefined;
          resolve();
        };
        const timer = setTimeout(end, ms);
        sleeping = { wakeable, end };
      });
    },
    wake: () => {
      if (sleeping?.wakeable) sleeping.end();
      else wakeRequested = true;
    },
    interrupt: () => {
      sleeping?.end();
    },
  };
}
