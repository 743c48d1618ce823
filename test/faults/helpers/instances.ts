import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../helpers/daemon.js';
import { DaemonProcess } from './daemon.js';


export interface Crash {
  process: string;
  exit: string;
  logFile: string;
  tail: string;
}

function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => l.slice(0, 400)).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The daemon instances of a run, by slot (A, B): each slot runs one process
 * at a time, restarted after a kill (A1, A2, ...). An exit the suite did not
 * cause is recorded as a crash, and the slot is restarted once the services
 * are back (as a supervisor would), so the rest of the run still tells what
 * else went wrong.
 */
export class Instances {
  readonly all: DaemonProcess[] = [];
  readonly crashes: Crash[] = [];
  private readonly current = new Map<string, DaemonProcess>();
  private readonly generation = new Map<string, number>();
  private readonly wanted = new Set<string>();
  private supervising: NodeJS.Timeout | undefined;
  /** While true (an outage in progress), crashed slots wait before being restarted. */
  paused = false;

  constructor(
    private readonly configFile: string,
    private readonly logDir: string,
  ) {}

  get running(): DaemonProcess[] {
    return [...this.current.values()].filter((p) => p.running);
  }

  process(slot: string): DaemonProcess | undefined {
    return this.current.get(slot);
  }

  start(slot: string): DaemonProcess {
    const n = (this.generation.get(slot) ?? 0) + 1;
    this.generation.set(slot, n);
    const proc = new DaemonProcess(`${slot}${n}`, this.configFile, this.logDir);
    appendFileSync(join(this.logDir, 'pids'), `${proc.pid}\n`);
    this.current.set(slot, proc);
    this.wanted.add(slot);
    this.all.push(proc);
    void proc.exited.then((exit) => {
      if (proc.crashed) {
        this.crashes.push({ process: proc.name, exit: JSON.stringify(exit), logFile: proc.logFile, tail: tailOf(proc.logFile) });
      }
    });
    return proc;
  }

  /** SIGKILL the slot's process, wait `restartAfterMs`, start a new one and wait until it is ready. */
  async kill(slot: string, restartAfterMs: number): Promise<{ killed: string; restarted: string; readyMs: number }> {
    // A process that crashed is being replaced by the supervisor: kill its replacement instead.
    const deadline = Date.now() + 60_000;
    while (!this.current.get(slot)?.running && Date.now() < deadline) await sleep(250);
    const proc = this.current.get(slot);
    if (!proc?.running) throw new Error(`no running instance in slot ${slot} to kill`);
    proc.signal('SIGKILL');
    await proc.exited;
    await sleep(restartAfterMs);
    const next = this.start(slot);
    const readyMs = await next.waitReady(60_000);
    return { killed: proc.name, restarted: next.name, readyMs };
  }

  /** SIGTERM the slot's process for good; resolves with its exit and how long it took. */
  async stop(slot: string): Promise<{ name: string; code: number | null; signal: string | null; ms: number }> {
    this.wanted.delete(slot);
    const proc = this.current.get(slot);
    if (!proc) throw new Error(`no instance in slot ${slot}`);
    const started = Date.now();
    proc.signal('SIGTERM');
    const exit = await Promise.race([proc.exited, sleep(20_000).then(() => undefined)]);
    if (!exit) {
      proc.signal('SIGKILL');
      await proc.exited;
      return { name: proc.name, code: null, signal: 'timeout: SIGKILL after 20 s', ms: Date.now() - started };
    }
    return { name: proc.name, code: exit.code, signal: exit.signal, ms: Date.now() - started };
  }

  /** Restarts slots whose process crashed (never during an outage: it would only fail to start). */
  supervise(): void {
    this.supervising = setInterval(() => {
      if (this.paused) return;
      for (const slot of this.wanted) {
        const proc = this.current.get(slot);
        if (proc && !proc.running && proc.crashed && Date.now() - (proc.startedAt ?? 0) > 1_000) this.start(slot);
      }
    }, 1_000);
  }

  /** Stops supervising and SIGKILLs whatever still runs (cleanup after a failure). */
  async killAll(): Promise<void> {
    if (this.supervising) clearInterval(this.supervising);
    this.wanted.clear();
    for (const proc of this.all) {
      if (proc.running) {
        proc.signal('SIGKILL');
        await proc.exited;
      }
    }
  }

  /** `fatal` log lines of every process. */
  fatalLines(): string[] {
    return this.all.flatMap((p) => p.fatalLines.map((l) => `${p.name}: ${l}`));
  }
}
