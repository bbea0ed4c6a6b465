// Runs the stored attestation schedules: one timer set to the earliest due group, never two runs of
// the same group at once, at most `concurrency` groups at a time. The schedule's state lives in
// SQLite (AttestationScheduleStore), so stopping and starting a scheduler loses nothing.
import type { AttestationScheduleStore } from './AttestationSchedule.js';

export interface SchedulerOptions {
  store: AttestationScheduleStore;
  /** Attests one group; resolves to a one-line summary kept as the schedule's last result. */
  runGroup(group: string): Promise<string>;
  /** Groups attested at the same time (default 2). */
  concurrency?: number;
  log?(line: string): void;
  /** Longest sleep between looks at the store, so schedules changed elsewhere are seen (default 60 s). */
  maxSleepMs?: number;
}

export class AttestationScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;
  private readonly concurrency: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stops the timer and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Call after a schedule was added or changed, so a sooner run is not slept through. */
  poke(): void {
    if (!this.stopped) this.tick();
  }

  /** Groups being attested right now. */
  active(): string[] {
    return [...this.running.keys()];
  }

  private tick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const now = new Date();
    for (const s of this.opts.store.due(now)) {
      if (this.running.size >= this.concurrency) break;
      if (this.running.has(s.group)) continue; // no overlapping runs of one group
      this.launch(s.group, now);
    }
    // Wake for the next due schedule; when all slots are busy, a finishing run wakes us instead.
    const next = this.opts.store.nextDue();
    const max = this.opts.maxSleepMs ?? 60_000;
    const wait = next ? Math.min(Math.max(next.getTime() - Date.now(), 50), max) : max;
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref();
  }

  private launch(group: string, startedAt: Date): void {
    const run = (async () => {
      let result: string;
      try {
        result = await this.opts.runGroup(group);
      } catch (e) {
        result = `failed: ${(e as Error).message}`;
        this.opts.log?.(`attestation of group ${group} failed: ${(e as Error).message}`);
      }
      this.opts.store.ran(group, startedAt, result);
    })().finally(() => {
      this.running.delete(group);
      if (!this.stopped) this.tick();
    });
    this.running.set(group, run);
  }
}
