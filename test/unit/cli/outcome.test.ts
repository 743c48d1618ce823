import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../../src/cli/outcome.js';
import { CustsyncError, UserError } from '../../../src/runtime/errors.js';
import { postgresEndpoint, unreachable, withoutCredentials } from '../../../src/runtime/unavailable.js';

const endpoints = { postgres: 'db.internal:5432', kafka: 'k1:9092,k2:9092' };

function netError(code: string, address: string, port: number): Error {
  return Object.assign(new Error(`connect ${code} ${address}:${port}`), { code, address, port, errno: -111, syscall: 'connect' });
}

/** As kafkajs reports a broker it cannot reach: a connection error inside retries exceeded. */
function kafkaRefused(): Error {
  const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.9:9092'), { name: 'KafkaJSConnectionError', retriable: true, broker: '10.0.0.9:9092' });
  return Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.9:9092'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: connection });
}

describe('the exit code and line of a failed command', () => {
  it('Postgres refusing connections: exit 3, host:port from the error, no stack trace', () => {
    const outcome = outcomeOf(netError('ECONNREFUSED', '127.0.0.1', 55499), endpoints);
    expect(outcome).toEqual({ code: 3, line: 'Postgres is unreachable at 127.0.0.1:55499: connect ECONNREFUSED 127.0.0.1:55499' });
  });

  it('a Postgres timeout without an address names the configured host:port', () => {
    const outcome = outcomeOf(new Error('Connection terminated due to connection timeout'), endpoints);
    expect(outcome.code).toBe(3);
    expect(outcome.line).toBe('Postgres is unreachable at db.internal:5432: Connection terminated due to connection timeout');
  });

  it('an unreachable database inside a migration failure is still exit 3', () => {
    const wrapped = new CustsyncError('CUSTSYNC_MIGRATION_FAILED', 'migration failed: connect ECONNREFUSED', { cause: netError('ECONNREFUSED', '10.1.1.1', 5432) });
    expect(outcomeOf(wrapped, endpoints)).toMatchObject({ code: 3, line: expect.stringContaining('Postgres is unreachable at 10.1.1.1:5432') });
  });

  it('Postgres starting up (57P03) is unreachable; a syntax error (42601) is not', () => {
    expect(outcomeOf(Object.assign(new Error('the database system is starting up'), { code: '57P03' }), endpoints).code).toBe(3);
    const syntax = outcomeOf(new CustsyncError('CUSTSYNC_DB_ERROR', 'syntax error', { cause: Object.assign(new Error('syntax error'), { code: '42601' }) }), endpoints);
    expect(syntax).toEqual({ code: 1, line: 'CUSTSYNC_DB_ERROR: syntax error' });
  });

  it('Kafka unreachable: exit 3 naming the broker', () => {
    expect(outcomeOf(kafkaRefused(), endpoints)).toEqual({ code: 3, line: 'Kafka is unreachable at 10.0.0.9:9092: Connection error: connect ECONNREFUSED 10.0.0.9:9092' });
    const probe = new CustsyncError('CUSTSYNC_KAFKA_UNAVAILABLE', 'cannot connect');
    expect(outcomeOf(probe, endpoints)).toEqual({ code: 3, line: 'Kafka is unreachable at k1:9092,k2:9092: cannot connect' });
  });

  it('a non-retriable Kafka answer is a failure (1), not unreachable', () => {
    const denied = Object.assign(new Error('Topic authorization failed'), { name: 'KafkaJSProtocolError', retriable: false, type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(unreachable(denied, endpoints)).toBeNull();
    expect(outcomeOf(denied, endpoints).code).toBe(1);
  });

  it('usage errors exit 2 with their message; bugs exit 1 with the stack', () => {
    expect(outcomeOf(new UserError('CUSTSYNC_USAGE', '--days: expected a number'), endpoints)).toEqual({ code: 2, line: '--days: expected a number' });
    const bug = outcomeOf(new TypeError('x is undefined'), endpoints);
    expect(bug.code).toBe(1);
    expect(bug.line).toMatch(/^unexpected error: TypeError: x is undefined\n\s+at /);
  });

  it('never prints a password', () => {
    const leaky = new Error('could not connect to postgres://custsync:s3cret@db:5432/custsync (password=s3cret)');
    expect(withoutCredentials(leaky.message)).not.toContain('s3cret');
    expect(outcomeOf(new CustsyncError('CUSTSYNC_DB_ERROR', leaky.message), endpoints).line).not.toContain('s3cret');
    expect(postgresEndpoint('postgres://custsync:s3cret@db.internal:6543/custsync')).toBe('db.internal:6543');
    expect(postgresEndpoint('postgresql://db.internal/custsync')).toBe('db.internal:5432');
  });
});
