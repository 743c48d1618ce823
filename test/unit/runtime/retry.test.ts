import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CustsyncError, type ErrorCode } from '../../../src/runtime/errors.js';
import { retry, StoppedError } from '../../../src/runtime/retry.js';
import { backoffMs, RETRY_POLICY } from '../../../src/runtime/retryPolicy.js';

const logger = pino({ level: 'silent' });
const middle = () => 0.5;

describe('the retry table', () => {
  it('covers every error code, and only transient causes are retriable', () => {
    const retriable = (Object.entries(RETRY_POLICY) as [ErrorCode, (typeof RETRY_POLICY)[ErrorCode]][]).filter(([, p]) => p.retriable).map(([code]) => code);
    expect(retriable.sort()).toEqual(['CUSTSYNC_DB_CONFLICT', 'CUSTSYNC_DB_UNAVAILABLE', 'CUSTSYNC_KAFKA_UNAVAILABLE']);
    for (const [code, policy] of Object.entries(RETRY_POLICY)) expect(policy.retriable && policy.fatal, code).toBe(false);
  });

  it('decides whether an error is retriable by its code', () => {
    expect(new CustsyncError('CUSTSYNC_DB_CONFLICT', 'deadlock').retriable).toBe(true);
    expect(new CustsyncError('CUSTSYNC_DB_ERROR', 'syntax').retriable).toBe(false);
  });

  it('waits double each time up to the cap, with ±25 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs('CUSTSYNC_INTERNAL', n, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect([1, 2, 7, 8].map((n) => backoffMs('CUSTSYNC_DB_UNAVAILABLE', n, middle))).toEqual([250, 500, 10_000, 10_000]);
    expect([1, 2, 8].map((n) => backoffMs('CUSTSYNC_DB_CONFLICT', n, middle))).toEqual([50, 100, 5_000]);
    expect(backoffMs('CUSTSYNC_INTERNAL', 1, () => 0)).toBe(750);
    expect(backoffMs('CUSTSYNC_INTERNAL', 1, () => 1)).toBe(1_250);
  });
});

describe('retry', () => {
  const conflict = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
  const syntax = () => Object.assign(new Error('syntax error'), { code: '42601' });

  it('bounded: retries a retriable failure up to maxAttempts, then throws it', async () => {
    let calls = 0;
    const failing = retry({ what: 'batch', logger, maxAttempts: 3 }, async () => {
      calls += 1;
      throw conflict();
    });
    await expect(failing).rejects.toMatchObject({ code: 'CUSTSYNC_DB_CONFLICT' });
    expect(calls).toBe(3);
  });

  it('bounded: throws a failure no retry cures at once', async () => {
    let calls = 0;
    await expect(
      retry({ what: 'batch', logger, maxAttempts: 5 }, async () => {
        calls += 1;
        throw syntax();
      }),
    ).rejects.toMatchObject({ code: 'CUSTSYNC_DB_ERROR' });
    expect(calls).toBe(1);
  });

  it('until stopped: retries even what no retry is expected to cure, and reports failure and recovery', async () => {
    const seen: string[] = [];
    const result = await retry(
      { what: 'batch', logger, onFailure: (e) => void seen.push(e.code), onSuccess: () => seen.push('ok') },
      async ({ n }) => {
        if (n === 1) throw conflict();
        if (n === 2) throw syntax();
        return n;
      },
    );
    expect(result).toBe(3);
    expect(seen).toEqual(['CUSTSYNC_DB_CONFLICT', 'CUSTSYNC_DB_ERROR', 'ok']);
  }, 10_000);

  it('until stopped: a fatal code ends the loop with that error', async () => {
    let calls = 0;
    await expect(
      retry({ what: 'term', logger }, async () => {
        calls += 1;
        throw new CustsyncError('CUSTSYNC_SLOT_LOST', 'slot gone');
      }),
    ).rejects.toMatchObject({ code: 'CUSTSYNC_SLOT_LOST' });
    expect(calls).toBe(1);
  });

  it('until stopped: stopping ends the wait and throws StoppedError before the next attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const running = retry({ what: 'batch', logger, signal: controller.signal }, async () => {
      calls += 1;
      setTimeout(() => controller.abort(), 20);
      throw new CustsyncError('CUSTSYNC_INTERNAL', 'broken');
    });
    await expect(running).rejects.toBeInstanceOf(StoppedError);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('healthy() starts the backoff from the beginning', async () => {
    const delays: number[] = [];
    await retry({ what: 'consumer', logger, onFailure: (_e, _n, delay) => void delays.push(delay) }, async ({ n, healthy }) => {
      if (n === 2) healthy();
      if (n < 3) throw conflict();
      return undefined;
    });
    // Both failures are the first of their run: each waits about 50 ms, not 50 then 100.
    expect(delays).toHaveLength(2);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(63);
  });
});
