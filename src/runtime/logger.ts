import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskValue, REDACTED_LOG_KEYS } from './mask.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  level: string;
  /** Human-readable output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Write here instead of stdout (tests capture logs this way). */
  destination?: NodeJS.WritableStream;
}

const redactPaths = REDACTED_LOG_KEYS.flatMap((key) => [key, `*.${key}`]);

/**
 * The process logger: JSON lines in production, pino-pretty on a terminal.
 * Components take a child with `component` set (see `componentLogger`).
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: 'custsync' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: redactPaths,
      censor: (value: unknown, path: string[]) =>
        typeof value === 'string' ? maskValue(path[path.length - 1] ?? '', value) : value,
    },
  };
  const pretty = settings.pretty ?? (settings.destination === undefined && process.stdout.isTTY === true);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
