import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaLog, warnAtCount } from '../../../../src/connectors/kafka/kafkaLog.js';

describe("kafkajs' log lines", () => {
  it('retriable coordinator and leader errors of a starting broker are debug, and counted', () => {
    expect(classifyKafkaLog(logLevel.ERROR, 'Response InitProducerId(key: 22, version: 1)', 'The coordinator is not available')).toEqual({
      level: 'debug',
      transient: 'The coordinator is not available',
    });
    expect(classifyKafkaLog(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', 'The group coordinator is not available').level).toBe('debug');
    expect(
      classifyKafkaLog(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election').level,
    ).toBe('debug');
  });

  it('crashes custsync handles itself are debug; other errors stay errors; warnings stay warnings; info is debug', () => {
    expect(classifyKafkaLog(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: x', undefined).level).toBe('debug');
    expect(classifyKafkaLog(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:19092', undefined).level).toBe('error');
    expect(classifyKafkaLog(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'Topic authorization failed').level).toBe('error');
    expect(classifyKafkaLog(logLevel.WARN, 'something', undefined).level).toBe('warn');
    expect(classifyKafkaLog(logLevel.INFO, 'Consumer has joined the group', undefined).level).toBe('debug');
  });

  it('a transient error that keeps coming back warns at 50, 500, 5000 occurrences', () => {
    const warned = Array.from({ length: 6_000 }, (_, i) => i + 1).filter(warnAtCount);
    expect(warned).toEqual([50, 500, 5_000]);
  });
});
