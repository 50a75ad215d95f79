/**
 * Runs a generator at a rate: every tick it owes `rate × interval` events, and runs the whole
 * ones, chained, so events go out in order even when a receiver is slow. Used by both platforms'
 * traffic.
 */
export class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private owed = 0;

  constructor(private readonly run: (count: number) => Promise<unknown>) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(ratePerSecond: number): void {
    this.stop();
    if (!(ratePerSecond > 0)) return;
    const intervalMs = Math.max(10, Math.round(1000 / ratePerSecond));
    this.timer = setInterval(() => {
      this.owed += (ratePerSecond * intervalMs) / 1000;
      const count = Math.floor(this.owed);
      if (count < 1) return;
      this.owed -= count;
      this.queue = this.queue.then(() => this.run(count)).catch(() => undefined);
    }, intervalMs);
    // Traffic alone must not keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Waits for the events queued so far. */
  drain(): Promise<unknown> {
    return this.queue;
  }
}

/** A platform's traffic: events generated `step(count)` at a time, now or at a rate. */
export abstract class PacedTraffic<Sent> {
  private readonly pacer = new Pacer((count) => this.step(count));

  constructor(protected ratePerSecond: number) {}

  /** Generates `count` events now and delivers them in order; resolves after every attempt. */
  abstract step(count?: number): Promise<Sent[]>;

  get running(): boolean {
    return this.pacer.running;
  }

  start(ratePerSecond = this.ratePerSecond): void {
    this.ratePerSecond = ratePerSecond;
    this.pacer.start(ratePerSecond);
  }

  stop(): void {
    this.pacer.stop();
  }

  /** Waits for the events the timer queued. */
  drain(): Promise<unknown> {
    return this.pacer.drain();
  }
}
