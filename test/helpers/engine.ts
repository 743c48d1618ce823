import type pg from 'pg';
import { pino } from 'pino';
import { BatchEngine, type BatchEngineOptions } from '../../src/unifier/engine/BatchEngine.js';
import { priorityRules, type PlatformPriority } from '../../src/unifier/priorities.js';

export const TEST_PLATFORMS: PlatformPriority[] = [
  { name: 'hotmart', priority: 50 },
  { name: 'kiwify', priority: 40 },
  { name: 'eduzz', priority: 40 },
  { name: 'stripe', priority: 60, fieldPriorities: { phone_number: 10, phone_local_code: 10 } },
  { name: 'shopify', priority: 30 },
];

export const silentLogger = pino({ level: 'silent' });

export function testEngine(
  pool: pg.Pool,
  platforms: PlatformPriority[] = TEST_PLATFORMS,
  operatorPriority = 1000,
  options: Partial<BatchEngineOptions> = {},
): BatchEngine {
  return new BatchEngine(pool, priorityRules(platforms, operatorPriority), silentLogger, { maxAttempts: 10, ...options });
}
