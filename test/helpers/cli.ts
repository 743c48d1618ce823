import { execFile } from 'node:child_process';
import { CLI } from './daemon.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command of the built CLI (`npm run build` first), stdout and stderr apart. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
