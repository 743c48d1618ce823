import { describe, expect, it } from 'vitest';
import { judgePosition } from '../../../../src/connectors/kafka/positionGuard.js';
import { parseResetTarget, resetOffset } from '../../../../src/connectors/kafka/positions.js';
import { lagMessages } from '../../../../src/connectors/kafka/LagMonitor.js';

const ID = '00112233445566778899aabbccddeeff';
const ID_TEXT = '00112233-4455-6677-8899-aabbccddeeff';

describe('stored positions against the broker', () => {
  const base = { stream: 'kafka:t', partition: 2, highWatermark: 100n, topicId: ID };

  it('accepts no position, a position within the partition, and one at its end', () => {
    expect(judgePosition({ ...base, stored: null })).toEqual({ ok: true });
    expect(judgePosition({ ...base, stored: { next: 40n, topicId: ID_TEXT } })).toEqual({ ok: true });
    expect(judgePosition({ ...base, stored: { next: 100n, topicId: null } })).toEqual({ ok: true });
    expect(judgePosition({ ...base, topicId: null, stored: { next: 100n, topicId: ID_TEXT } })).toEqual({ ok: true });
  });

  it('refuses a position past the high-water mark, naming the command that fixes it', () => {
    const verdict = judgePosition({ ...base, stored: { next: 101n, topicId: null } });
    expect(verdict).toMatchObject({ ok: false, reason: 'past_end' });
    expect(!verdict.ok && verdict.message).toContain('custsync positions reset --stream kafka:t');
    expect(!verdict.ok && verdict.message).toContain('kafka:t[2]: the stored position 101 is past the partition\'s end (high-water mark 100)');
  });

  it('refuses a position of another topic id (deleted and recreated), even within the offsets', () => {
    const verdict = judgePosition({ ...base, stored: { next: 10n, topicId: '99999999-4455-6677-8899-aabbccddeeff' } });
    expect(verdict).toMatchObject({ ok: false, reason: 'topic_recreated' });
  });
});

describe('positions reset targets', () => {
  it('parses earliest, latest and offsets; refuses anything else', () => {
    expect(parseResetTarget('earliest')).toEqual({ kind: 'earliest' });
    expect(parseResetTarget('latest')).toEqual({ kind: 'latest' });
    expect(parseResetTarget('42')).toEqual({ kind: 'offset', offset: 42n });
    expect(() => parseResetTarget('-1')).toThrow(/--to: expected earliest, latest or an offset/);
    expect(() => parseResetTarget('soon')).toThrow(/--to/);
  });

  it('keeps an offset within the partition', () => {
    expect(resetOffset({ kind: 'earliest' }, 5n, 50n)).toBe(5n);
    expect(resetOffset({ kind: 'latest' }, 5n, 50n)).toBe(50n);
    expect(resetOffset({ kind: 'offset', offset: 2n }, 5n, 50n)).toBe(5n);
    expect(resetOffset({ kind: 'offset', offset: 20n }, 5n, 50n)).toBe(20n);
    expect(resetOffset({ kind: 'offset', offset: 99n }, 5n, 50n)).toBe(50n);
  });
});

describe('consumer lag', () => {
  it('counts messages not applied yet, never below 0', () => {
    expect(lagMessages(100n, 40n)).toBe(60);
    expect(lagMessages(100n, 100n)).toBe(0);
    expect(lagMessages(10n, 40n)).toBe(0);
  });
});
