import cliProgress from 'cli-progress';

/** Progress of a known number of items (emails forgotten, customers anonymized). */
export interface CountProgress {
  update(done: number, counts: Record<string, number>): void;
  stop(): void;
}

/**
 * A cli-progress bar when `stream` is a terminal; otherwise a plain line every
 * `intervalMs` and at the end, so logs of scheduled runs show progress too.
 */
export function countProgress(stream: NodeJS.WriteStream, label: string, total: number, intervalMs = 5_000): CountProgress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {summary} | eta {eta_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { summary: '' });
    return {
      update: (done, counts) => bar.update(done, { summary: summary(counts) }),
      stop: () => bar.stop(),
    };
  }
  let lastAt = Date.now();
  return {
    update: (done, counts) => {
      const now = Date.now();
      if (now - lastAt < intervalMs && done < total) return;
      lastAt = now;
      const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
      stream.write(`${label}: ${done}/${total} (${percent}%)${Object.keys(counts).length > 0 ? `, ${summary(counts)}` : ''}\n`);
    },
    stop: () => undefined,
  };
}

function summary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([key, n]) => `${n} ${key}`)
    .join(', ');
}
