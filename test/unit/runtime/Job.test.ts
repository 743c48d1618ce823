import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Job } from '../../../src/runtime/Job.js';
import { retry } from '../../../src/runtime/retry.js';
import { aborted } from '../../../src/runtime/sleep.js';

const logger = pino({ level: 'silent' });

/** A job whose run is scripted by the test. */
class Scripted extends Job {
  readonly name = 'scripted';
  readonly events: string[] = [];
  constructor(private readonly work: (signal: AbortSignal) => Promise<void>) {
    super(logger);
  }
  protected override async prepare(): Promise<void> {
    this.events.push('prepare');
  }
  protected async run(signal: AbortSignal): Promise<void> {
    this.events.push('run');
    await this.work(signal);
    this.events.push('run done');
  }
  protected override async cleanup(): Promise<void> {
    this.events.push('cleanup');
  }
}

describe('Job', () => {
  it('runs prepare, then run in the background; stop aborts, waits for run, cleans up, once', async () => {
    const job = new Scripted((signal) => aborted(signal));
    await job.start();
    expect(job.events).toEqual(['prepare', 'run']);
    await job.check();
    const [a, b] = [job.stop(), job.stop()];
    await Promise.all([a, b]);
    await job.stop();
    expect(job.events).toEqual(['prepare', 'run', 'run done', 'cleanup']);
    await expect(job.finished).resolves.toBeUndefined();
  });

  it('a run that fails tells onFatal, rejects finished with the same error and is never ready again', async () => {
    const failure = new Error('broken');
    const job = new Scripted(async () => {
      throw failure;
    });
    const told: unknown[] = [];
    job.onFatal = (err) => told.push(err);
    await job.start();
    await expect(job.finished).rejects.toBe(failure);
    expect(told).toEqual([failure]);
    await expect(job.check()).rejects.toThrow(/scripted stopped: broken/);
  });

  it('a retry given up because the job stops is a stop, not a failure', async () => {
    const job = new Scripted((signal) =>
      retry({ what: 'work', logger, signal }, async () => {
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      }),
    );
    let fatal = false;
    job.onFatal = () => (fatal = true);
    await job.start();
    await new Promise((r) => setTimeout(r, 20));
    await job.stop();
    await expect(job.finished).resolves.toBeUndefined();
    expect(fatal).toBe(false);
  });
});
