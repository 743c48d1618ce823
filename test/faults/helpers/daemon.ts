import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { CLI, testConfig, writeConfig, type PlatformSpec } from '../../helpers/daemon.js';
import { FAULT_KAFKA_BROKERS } from './services.js';

/** Environment variables that would override the configuration file: never inherited by a fault daemon. */
const OVERRIDES = [
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'KAFKA_GROUP_ID',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'CUSTSYNC_CONFIG',
  'CUSTSYNC_LOG_LEVEL',
  'CUSTSYNC_HTTP_PORT',
];

export interface FaultConfigOptions {
  databaseUrl: string;
  groupId: string;
  platforms: PlatformSpec[];
  deadLetterTopic: string;
  changeTopic: string;
  slotName: string;
}

/** The daemon configuration of a fault run (written once, shared by every instance). */
export function writeFaultConfig(dir: string, options: FaultConfigOptions): string {
  const config = testConfig({ ...options, brokers: FAULT_KAFKA_BROKERS, batchSize: 500 });
  return writeConfig(
    {
      ...config,
      database: { url: options.databaseUrl, poolSize: 8 },
      kafka: {
        ...(config.kafka as Record<string, unknown>),
        clientId: 'custsync-faults',
        createMissingTopics: false,
        partitionsConsumedConcurrently: 4,
        // The minimum: a SIGKILLed instance's partitions wait this long for a new owner.
        sessionTimeoutMs: 6_000,
      },
      publisher: {
        enabled: true,
        slotName: options.slotName,
        publicationName: options.slotName,
        heartbeatIntervalMs: 1_000,
        standbyPollMs: 250,
        lagLogIntervalMs: 10_000,
      },
    },
    dir,
  );
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** An HTTP status, or why there was none: no answer in time, connection refused, process gone, port not logged yet. */
export type ReadyStatus = number | 'timeout' | 'refused' | 'exited' | 'starting';

/**
 * One `custsync run` process. Its JSON log goes to a file; the helper reads
 * the HTTP port from the `http listening` line, counts `fatal` lines and
 * records how the process ended. An exit the suite did not cause (a signal
 * it sent) is a crash.
 */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  readonly logFile: string;
  readonly startedAt = Date.now();
  port: number | undefined;
  fatalLines: string[] = [];
  /** Set just before the suite signals the process: its exit is then expected. */
  expectedSignal: NodeJS.Signals | undefined;
  exit: ExitInfo | undefined;
  private readonly log: WriteStream;
  private pending = '';

  constructor(
    readonly name: string,
    configFile: string,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${name}.log`);
    this.log = createWriteStream(this.logFile);
    const env: NodeJS.ProcessEnv = { ...process.env, CUSTSYNC_HTTP_PORT: '0' };
    for (const key of OVERRIDES) if (key !== 'CUSTSYNC_HTTP_PORT') delete env[key];
    this.child = spawn(process.execPath, [CLI, 'run', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.onOutput(chunk));
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        this.log.end(`\n# exited: code ${code} signal ${signal}\n`);
        resolveExit(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Whether the process ended in a way the suite did not cause. */
  get crashed(): boolean {
    if (!this.exit) return false;
    if (this.expectedSignal === 'SIGKILL') return this.exit.signal !== 'SIGKILL';
    if (this.expectedSignal === 'SIGTERM') return this.exit.code !== 0;
    return true;
  }

  private onOutput(chunk: Buffer): void {
    this.log.write(chunk);
    this.pending += chunk.toString('utf8');
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      this.onLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    if (this.port === undefined && line.includes('http listening')) {
      try {
        const parsed = JSON.parse(line) as { port?: number };
        if (typeof parsed.port === 'number') this.port = parsed.port;
      } catch {
        // not JSON: ignore
      }
    }
    if (line.includes('"level":"fatal"')) this.fatalLines.push(line.slice(0, 2_000));
  }

  signal(signal: NodeJS.Signals): void {
    this.expectedSignal = signal;
    this.child.kill(signal);
  }

  /** GET /readyz: the status code, or why there was none. */
  readyz(timeoutMs = 2_000): Promise<{ status: ReadyStatus; body: string; ms: number }> {
    const started = Date.now();
    const port = this.port;
    if (!this.running) return Promise.resolve({ status: 'exited', body: '', ms: 0 });
    if (port === undefined) return Promise.resolve({ status: 'starting', body: '', ms: 0 });
    return new Promise((resolveStatus) => {
      const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: timeoutMs }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolveStatus({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
      });
      req.on('timeout', () => {
        req.destroy();
        resolveStatus({ status: 'timeout', body: '', ms: Date.now() - started });
      });
      req.on('error', () => resolveStatus({ status: 'refused', body: '', ms: Date.now() - started }));
      req.end();
    });
  }

  async waitReady(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited while starting (${JSON.stringify(this.exit)}); log: ${this.logFile}`);
      const { status } = await this.readyz();
      if (status === 200) return Date.now() - this.startedAt;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms (last /readyz: ${status}); log: ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
