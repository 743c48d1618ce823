import { open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import type { DeadLetter, DeadLetterSink } from '../../contract.js';

/** One line of the rejects file: what was wrong, where, and the input as it was. */
export interface RejectEntry {
  line: number;
  reason: string;
  message: string;
  path?: string;
  platform: string;
  /** The input line (CSV: the whole record), UTF-8. */
  input?: string;
  /** The input bytes, when they were not valid UTF-8. */
  inputBase64?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function rejectEntry(letter: DeadLetter): RejectEntry {
  const { position, value } = letter.origin;
  const entry: RejectEntry = {
    line: position.kind === 'import' ? position.line : 0,
    reason: letter.reason,
    message: letter.message,
    ...(letter.path ? { path: letter.path } : {}),
    platform: letter.platform,
  };
  if (value) {
    try {
      entry.input = utf8.decode(value);
    } catch {
      entry.inputBase64 = value.toString('base64');
    }
  }
  return entry;
}

/**
 * The import's dead-letter sink: bad lines go to a JSON-lines file next to
 * the input (not to the Kafka dead-letter topic: they are the operator's to
 * fix and import again). Written and fsynced before the batch commits, like
 * any dead letter; the unifier does not send again what a committed batch
 * covered, and `prepare` drops entries a crash left for uncommitted lines,
 * so each bad line appears once.
 */
export class RejectsFile implements DeadLetterSink {
  private handle: FileHandle | undefined;
  written = 0;

  constructor(
    readonly path: string,
    private readonly onReject: (entry: RejectEntry) => void = () => undefined,
  ) {}

  /**
   * A fresh import (`resumeAt` undefined) starts without a rejects file; a
   * resumed one keeps the entries of lines before `resumeAt` (their batches
   * committed) and drops the rest, which will be reported again.
   */
  async prepare(resumeAt: bigint | undefined): Promise<number> {
    if (resumeAt === undefined) {
      await rm(this.path, { force: true });
      return 0;
    }
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const kept = text.split('\n').filter((line) => {
      if (line.trim() === '') return false;
      try {
        return BigInt((JSON.parse(line) as { line: number }).line) < resumeAt;
      } catch {
        return true;
      }
    });
    await writeFile(this.path, kept.map((l) => `${l}\n`).join(''));
    return kept.length;
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const entries = letters.map(rejectEntry);
    this.handle ??= await open(this.path, 'a');
    await this.handle.write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await this.handle.datasync();
    this.written += entries.length;
    for (const entry of entries) this.onReject(entry);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
