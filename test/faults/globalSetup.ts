import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { daemonPids } from './helpers/scenario.js';
import { assertIsolated, FAULT_KAFKA_BROKERS, FAULT_PG_PORT, FAULT_VAR_DIR, services } from './helpers/services.js';
import { createFaultDatabase, removeLeftovers } from './helpers/setup.js';

/** A daemon of this run still alive (its command line names the run's config): SIGKILL it. */
function killLeftoverDaemons(run: string): void {
  for (const pid of daemonPids(run)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(`/runs/${run}/custsync.yaml`)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Logs of earlier runs: the newest few are kept. */
function pruneRunDirs(keep = 5): void {
  const root = join(FAULT_VAR_DIR, 'runs');
  let dirs: { path: string; time: number }[];
  try {
    dirs = readdirSync(root).map((name) => ({ path: join(root, name), time: statSync(join(root, name)).mtimeMs }));
  } catch {
    return;
  }
  for (const dir of dirs.sort((a, b) => b.time - a.time).slice(keep)) rmSync(dir.path, { recursive: true, force: true });
}

/**
 * Starts the suite's own Postgres and Kafka (never the shared ones), removes
 * what earlier runs left, and creates this run's migrated database. The
 * teardown stops both services, also when the suite failed
 * (CUSTSYNC_FAULT_KEEP_SERVICES=1 keeps them up for a look around).
 */
export default async function setup(): Promise<() => Promise<void>> {
  process.env.CUSTSYNC_FAULT_T0 ??= String(Date.now());
  assertIsolated();
  const run = (process.env.CUSTSYNC_FAULT_RUN ??= randomBytes(3).toString('hex'));
  const teardown = async () => {
    killLeftoverDaemons(run);
    if (process.env.CUSTSYNC_FAULT_KEEP_SERVICES === '1') {
      console.log(`fault suite: services kept up (Postgres 127.0.0.1:${FAULT_PG_PORT}, Kafka ${FAULT_KAFKA_BROKERS.join(',')}, state ${FAULT_VAR_DIR})`);
      return;
    }
    await services('down').catch((err: Error) => console.error(`fault suite: stopping the services failed: ${err.message}`));
  };
  try {
    await services('up');
    pruneRunDirs();
    const removed = await removeLeftovers();
    if (removed.databases.length + removed.topics.length > 0) {
      console.log(`fault suite: removed ${removed.databases.length} databases and ${removed.topics.length} topics of earlier runs`);
    }
    const db = await createFaultDatabase(run);
    process.env.CUSTSYNC_FAULT_DB_URL = db.url;
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
