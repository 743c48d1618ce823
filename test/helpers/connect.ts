import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitUntil } from './daemon.js';
import { KAFKA_BROKERS } from './env.js';

/*
 * A real Kafka Connect worker (standalone mode) for the Debezium tests: the
 * jars come from `scripts/services.sh connect-fetch` (Maven, cached), the
 * worker gets a REST port and an offsets file of its own, connectors are
 * added and removed through its REST API, and `stop()` kills the JVM
 * (also when the test process exits without calling it).
 */

const REPO = resolve(import.meta.dirname, '../..');

export interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

export interface ConnectWorker {
  url: string;
  logFile: string;
  /** Adds a connector and waits until it and its tasks run. */
  addConnector(name: string, config: Record<string, string>): Promise<void>;
  removeConnector(name: string): Promise<void>;
  status(name: string): Promise<ConnectorStatus | undefined>;
  /** The worker's log (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Where the jars are (fetched on first use; a no-op once cached). */
function connectJars(): { libs: string; plugins: string } {
  const out = execFileSync('bash', [join(REPO, 'scripts/services.sh'), 'connect-fetch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const value = (name: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`scripts/services.sh connect-fetch printed no ${name}:\n${out}`);
    return line.slice(name.length + 1);
  };
  return { libs: value('CUSTSYNC_CONNECT_LIBS'), plugins: value('CUSTSYNC_CONNECT_PLUGINS') };
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startConnectWorker(options: { brokers?: string[] } = {}): Promise<ConnectWorker> {
  const { libs, plugins } = connectJars();
  const dir = mkdtempSync(join(tmpdir(), 'custsync-connect-'));
  const port = await freePort();
  const properties = join(dir, 'worker.properties');
  writeFileSync(
    properties,
    [
      `bootstrap.servers=${(options.brokers ?? KAFKA_BROKERS).join(',')}`,
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      `offset.storage.file.filename=${join(dir, 'offsets')}`,
      'offset.flush.interval.ms=500',
      `plugin.path=${plugins}`,
      'plugin.discovery=only_scan',
      `listeners=http://127.0.0.1:${port}`,
      'task.shutdown.graceful.timeout.ms=2000',
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'connect.log');
  const log = createWriteStream(logFile);
  const child = spawn(
    'java',
    [
      '-Xms128m',
      '-Xmx512m',
      // Quick to start and light on the shared cores; a test worker moves little data.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(REPO, 'scripts/connect/log4j.properties')}`,
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      properties,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
    running.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (exited) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
    log.end();
  };
  try {
    await waitUntil(
      `the Connect worker's REST API on ${url}`,
      async () => {
        if (exited) throw new Error(`the Connect worker exited:\n${readLog().slice(-4_000)}`);
        return fetch(`${url}/connectors`).then(
          (r) => r.ok,
          () => false,
        );
      },
      90_000,
      250,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const status = async (name: string): Promise<ConnectorStatus | undefined> => {
    const response = await fetch(`${url}/connectors/${name}/status`);
    return response.ok ? ((await response.json()) as ConnectorStatus) : undefined;
  };
  return {
    url,
    logFile,
    log: readLog,
    status,
    stop,
    async addConnector(name, config) {
      const response = await fetch(`${url}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, config }),
      });
      if (!response.ok) throw new Error(`Connect refused connector ${name}: ${response.status} ${await response.text()}`);
      await waitUntil(
        `connector ${name} and its tasks to run`,
        async () => {
          const current = await status(name);
          const failed = [current?.connector, ...(current?.tasks ?? [])].find((s) => s?.state === 'FAILED');
          if (failed) throw new Error(`connector ${name} failed: ${failed.trace ?? ''}`);
          return current?.connector.state === 'RUNNING' && current.tasks.length > 0 && current.tasks.every((t) => t.state === 'RUNNING');
        },
        60_000,
        250,
      );
    },
    async removeConnector(name) {
      const response = await fetch(`${url}/connectors/${name}`, { method: 'DELETE' });
      if (!response.ok && response.status !== 404) throw new Error(`Connect could not remove connector ${name}: ${response.status}`);
    },
  };
}
