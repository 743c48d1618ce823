import { describe, expect, it } from 'vitest';
import { TransactionQueue } from '../../../src/replication/TransactionQueue.js';

function stream() {
  const calls: string[] = [];
  return { calls, pause: () => void calls.push('pause'), resume: () => void calls.push('resume') };
}

describe('TransactionQueue', () => {
  it('takes whole transactions only, at least one even when it is larger than the limit', () => {
    const queue = new TransactionQueue<number>({ pauseAbove: 100, resumeAt: 50 });
    for (const size of [3, 4, 1, 10, 2]) queue.push(size, size);
    const take = () => queue.take(8, (n) => n).items;
    expect(take()).toEqual([3, 4, 1]);
    expect(take()).toEqual([10]);
    expect(take()).toEqual([2]);
    expect(queue.length).toBe(0);
  });

  it('pauses the stream above the high mark and resumes it once the work is released down to the low mark', () => {
    const s = stream();
    const queue = new TransactionQueue<string>({ pauseAbove: 10, resumeAt: 5 });
    queue.attach(s);
    queue.push('a', 6);
    queue.push('b', 6);
    expect(s.calls).toEqual(['pause']);
    const first = queue.take(6, () => 6);
    // Taken is still held until released: the stream stays paused.
    expect(queue.weight).toBe(12);
    queue.release(first.weight);
    expect(s.calls).toEqual(['pause']);
    const second = queue.take(6, () => 6);
    queue.release(second.weight);
    expect(s.calls).toEqual(['pause', 'resume']);
    expect(queue.weight).toBe(0);
  });

  it('wakes a waiting consumer on a push, on wake(), or after the timeout', async () => {
    const queue = new TransactionQueue<string>({ pauseAbove: 10, resumeAt: 5 });
    const pushed = queue.waitForWork();
    queue.push('tx', 1);
    await pushed;
    const woken = queue.waitForWork();
    queue.wake();
    await woken;
    const started = Date.now();
    await queue.waitForWork(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});
