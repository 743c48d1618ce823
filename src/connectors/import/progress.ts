import cliProgress from 'cli-progress';

export interface ProgressState {
  /** Last input line handled. */
  line: number;
  totalLines: number;
  records: number;
  rejected: number;
  elapsedMs: number;
}

/** Where the importer shows its progress and the bad lines it finds. */
export interface ProgressReporter {
  update(state: ProgressState): void;
  /** A message that must not be drawn over by the bar (a rejected line). */
  log(text: string): void;
  stop(): void;
}

function rate(records: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((records * 1000) / elapsedMs) : 0;
}

/** A bar on a terminal (cli-progress); elsewhere a plain line every `intervalMs`. */
export function progressReporter(stream: NodeJS.WriteStream, intervalMs = 5_000): ProgressReporter {
  return stream.isTTY ? new BarReporter(stream) : new LineReporter(stream, intervalMs);
}

class BarReporter implements ProgressReporter {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: 'importing [{bar}] {percentage}% | line {value}/{total} | {records} records, {rejected} rejected | {rate} rec/s | eta {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(state: ProgressState): void {
    const payload = { records: state.records, rejected: state.rejected, rate: rate(state.records, state.elapsedMs) };
    this.bar ??= this.bars.create(state.totalLines, state.line, payload);
    this.bar.update(state.line, payload);
  }

  log(text: string): void {
    this.bars.log(`${text}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}

class LineReporter implements ProgressReporter {
  private lastAt = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {}

  update(state: ProgressState): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs && state.line < state.totalLines) return;
    this.lastAt = now;
    const percent = state.totalLines > 0 ? Math.floor((state.line * 100) / state.totalLines) : 100;
    this.stream.write(
      `progress: line ${state.line}/${state.totalLines} (${percent}%), ${state.records} records, ${state.rejected} rejected, ${rate(state.records, state.elapsedMs)} rec/s\n`,
    );
  }

  log(text: string): void {
    this.stream.write(`${text}\n`);
  }

  stop(): void {}
}
