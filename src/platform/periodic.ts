import type { Logger } from './logger.js';

/**
 * A unit of "do what is due" work run by a worker loop and by a cron job in the same process:
 * single-flight (a call during a run joins it), errors logged at most once a minute per source
 * (the work resumes from its own checkpoint), and a stop that waits for the run in flight, so
 * the loop never outlives the connections it uses.
 */
export class PeriodicRunner {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly work: (warn: (source: string, err: unknown) => void) => Promise<number>,
    private readonly onStop: () => Promise<void> = async () => {},
  ) {}

  /** Runs the work, or joins the run already in progress. */
  run(): Promise<number> {
    return (this.running ??= this.work((source, err) => this.warn(source, err)).finally(() => (this.running = undefined)));
  }

  start(intervalMs: number): void {
    const tick = async () => {
      try {
        await this.run();
      } catch (err) {
        this.warn('run', err);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), intervalMs).unref();
    };
    this.timer = setTimeout(() => void tick(), intervalMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.onStop();
  }

  private warn(source: string, err: unknown): void {
    if (this.stopped || Date.now() - (this.warnedAt.get(source) ?? 0) < 60_000) return;
    this.warnedAt.set(source, Date.now());
    this.logger.warn({ err: (err as Error).message, source }, 'background work failed; it resumes from its checkpoint');
  }
}
