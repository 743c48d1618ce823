import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO } from '../../helpers/env.js';

/**
 * The fault suite's own Postgres and Kafka: it stops and restarts them, so it
 * never touches the shared ones other tests use (127.0.0.1:55432 and :19092,
 * `.var/`). Ports and the state directory can be moved with the
 * CUSTSYNC_FAULT_* variables (e.g. to run two suites side by side).
 */
export const FAULT_VAR_DIR = resolve(REPO, process.env.CUSTSYNC_FAULT_VAR_DIR ?? '.var/faults');
export const FAULT_PG_PORT = Number(process.env.CUSTSYNC_FAULT_PG_PORT ?? 55442);
export const FAULT_KAFKA_PORT = Number(process.env.CUSTSYNC_FAULT_KAFKA_PORT ?? 19102);
export const FAULT_KAFKA_CONTROLLER_PORT = Number(process.env.CUSTSYNC_FAULT_KAFKA_CONTROLLER_PORT ?? 19103);

export const FAULT_PG_ADMIN_URL = `postgres://postgres@127.0.0.1:${FAULT_PG_PORT}/postgres`;
export const FAULT_KAFKA_BROKERS = [`127.0.0.1:${FAULT_KAFKA_PORT}`];

/** Database and topic names of fault runs start with these (leftovers of older runs are removed by the setup). */
export const DB_PREFIX = 'custsync_faults_';
export const TOPIC_PREFIX = 'faults.';

const SHARED = { pg: 55432, kafka: 19092, controller: 19093, varDir: resolve(REPO, '.var') };

/** Refuses to run against the shared services: the suite stops what it runs on. */
export function assertIsolated(): void {
  const clashes: string[] = [];
  if (FAULT_PG_PORT === SHARED.pg) clashes.push(`Postgres port ${SHARED.pg}`);
  if (FAULT_KAFKA_PORT === SHARED.kafka || FAULT_KAFKA_PORT === SHARED.controller) clashes.push(`Kafka port ${FAULT_KAFKA_PORT}`);
  if (FAULT_KAFKA_CONTROLLER_PORT === SHARED.kafka || FAULT_KAFKA_CONTROLLER_PORT === SHARED.controller) {
    clashes.push(`Kafka controller port ${FAULT_KAFKA_CONTROLLER_PORT}`);
  }
  if (FAULT_VAR_DIR === SHARED.varDir) clashes.push(`state directory ${SHARED.varDir}`);
  if (clashes.length > 0) {
    throw new Error(`the fault suite must run on services of its own, not the shared ones (${clashes.join(', ')}); check the CUSTSYNC_FAULT_* variables`);
  }
}

export type ServiceCommand = 'up' | 'down' | 'restart' | 'status';
export type ServiceName = 'pg' | 'kafka' | 'all';

/** scripts/services.sh against the isolated set; resolves with its output, rejects with it on a non-zero exit. */
export function services(command: ServiceCommand, what: ServiceName = 'all'): Promise<string> {
  assertIsolated();
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [resolve(REPO, 'scripts/services.sh'), command, what],
      {
        cwd: REPO,
        env: {
          ...process.env,
          CUSTSYNC_VAR_DIR: FAULT_VAR_DIR,
          CUSTSYNC_PG_PORT: String(FAULT_PG_PORT),
          CUSTSYNC_KAFKA_PORT: String(FAULT_KAFKA_PORT),
          CUSTSYNC_KAFKA_CONTROLLER_PORT: String(FAULT_KAFKA_CONTROLLER_PORT),
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 180_000,
      },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (err) reject(new Error(`scripts/services.sh ${command} ${what} failed: ${err.message}\n${output}`));
        else resolvePromise(output);
      },
    );
  });
}
