// Log lines about something anyone on the network can cause (a delivery to the indication listener
// on a wrong path): the first few per source and window are written, the rest only counted and
// summed up in one line when the window ends, so a flood to the listener cannot flood the log.
//
//   const drops = new RateLimitedLog(log, { perWindow: 10, windowMs: 60_000,
//     summary: (source, n, since) => `indications: ${n} more ... from ${source} since ${since}` });
//   drops.line('10.0.0.9', 'indications: dropped ...');
//   drops.close();   // at shutdown: the pending summaries are written

export interface RateLimitedLogOptions {
  /** Lines written per source and window (default 10). */
  perWindow?: number;
  /** The window's length (default one minute). */
  windowMs?: number;
  /** Sources followed one by one; beyond that they share one count (default 1000), so memory stays bounded too. */
  maxSources?: number;
  /** The line that sums up what a source's window held back (`since`: ISO time the window opened). */
  summary: (source: string, count: number, since: string) => string;
  /** The line written once when a source reaches its limit in a window. */
  limitReached?: (source: string, perWindow: number) => string;
  /** The clock (tests). */
  now?: () => number;
}

interface Window {
  start: number;
  written: number;
  held: number;
}

/** The source that sources beyond maxSources share. */
export const OTHER_SOURCES = 'other senders';

export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: (line: string) => void, private readonly options: RateLimitedLogOptions) {
    this.perWindow = options.perWindow ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxSources = options.maxSources ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Writes `text` unless `source` has had its share of lines in this window; counts it then. */
  line(source: string, text: string): void {
    const now = this.now();
    let key = source;
    let w = this.openWindow(key, now);
    if (!w && this.windows.size >= this.maxSources) {
      key = OTHER_SOURCES;
      w = this.openWindow(key, now);
    }
    if (!w) {
      w = { start: now, written: 0, held: 0 };
      this.windows.set(key, w);
      this.arm();
    }
    if (w.written < this.perWindow) {
      w.written++;
      this.log(text);
      return;
    }
    if (w.held++ === 0 && this.options.limitReached) this.log(this.options.limitReached(key, this.perWindow));
  }

  /** Ends every window that is over: writes the summary of each that held lines back. */
  sweep(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.end(key, w);
    if (this.windows.size === 0) this.disarm();
  }

  /** Writes every pending summary now and stops the timer (the server stops). */
  close(): void {
    for (const [key, w] of this.windows) this.end(key, w);
    this.disarm();
  }

  /** The source's window if it is still open; one that is over is ended here. */
  private openWindow(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && now - w.start >= this.windowMs) {
      this.end(key, w);
      return undefined;
    }
    return w;
  }

  private end(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.held > 0) this.log(this.options.summary(key, w.held, new Date(w.start).toISOString()));
  }

  /** A summary is due even when the source falls silent, so a timer ends windows; it never keeps the process up. */
  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), Math.max(10, Math.ceil(this.windowMs / 4)));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
