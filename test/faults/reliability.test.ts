import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type ScenarioReport } from './helpers/scenario.js';
import { FAULT_VAR_DIR } from './helpers/services.js';
import { duplicatedCount, lostCount, problemsOf, summaryTable, type Problems } from './helpers/summary.js';

/**
 * The reliability suite (docs/reliability.md): one stream of 100,000 events
 * plus 10,000+ hostile messages, produced while daemon instances are
 * SIGKILLed and restarted, a second instance runs for half of the stream,
 * and Postgres and the Kafka broker each go down for 30 s. Then the state
 * must equal the model exactly, the dead-letter topic must hold exactly the
 * malformed messages, and the change topic an event for every change.
 */

const seed = Number(process.env.CUSTSYNC_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = process.env.CUSTSYNC_FAULT_RUN ?? 'adhoc';
const databaseUrl = process.env.CUSTSYNC_FAULT_DB_URL ?? '';

describe('custsync under faults (SIGKILL ×5, Postgres and Kafka down 30 s, two instances, hostile input)', () => {
  let report: ScenarioReport;
  let problems: Problems;

  beforeAll(async () => {
    if (!databaseUrl) throw new Error('CUSTSYNC_FAULT_DB_URL is not set: run the suite with `npm run test:faults`');
    console.log(`fault suite: seed ${seed} (CUSTSYNC_FAULT_SEED=${seed} to reproduce), run ${run}, logs in ${join(FAULT_VAR_DIR, 'runs', run)}`);
    report = await runScenario(
      {
        run,
        seed,
        databaseUrl,
        events: Number(process.env.CUSTSYNC_FAULT_EVENTS ?? 100_000),
        streamMs: Number(process.env.CUSTSYNC_FAULT_STREAM_SECONDS ?? 140) * 1_000,
        outageMs: Number(process.env.CUSTSYNC_FAULT_OUTAGE_SECONDS ?? 30) * 1_000,
        generic: { partitions: 4 },
      },
      (line) => console.log(`fault suite: ${line}`),
    );
    problems = problemsOf(report);
    const totalMs = Date.now() - Number(process.env.CUSTSYNC_FAULT_T0 ?? Date.now());
    const table = summaryTable(report, totalMs);
    writeFileSync(join(FAULT_VAR_DIR, 'runs', run, 'summary.txt'), table);
    const found = Object.entries(problems).filter(([, list]) => list.length > 0);
    console.log(`\n${table}${found.length ? `\nPROBLEMS\n${found.map(([k, list]) => `[${k}]\n  ${list.join('\n  ')}`).join('\n')}\n` : ''}`);
  });

  it('the run itself went as planned (five kills, a second instance, no error in the harness)', () => {
    expect(problems.scenario).toEqual([]);
  });

  it('loses nothing: customers, addresses and every audit trail equal the model', () => {
    expect(problems.lost).toEqual([]);
    expect(lostCount(report)).toBe(0);
  });

  it('duplicates nothing: one customer per email, no extra audit row', () => {
    expect(problems.duplicated).toEqual([]);
    expect(duplicatedCount(report)).toBe(0);
  });

  it('dead-letters exactly the malformed messages, each once per origin with its reason', () => {
    expect(problems.deadLetters).toEqual([]);
    expect(report.deadLetters?.unique).toBe(report.model?.malformed.size);
  });

  it('stores tricky but valid values literally', () => {
    expect(problems.literals).toEqual([]);
    expect(report.literals?.checked).toBeGreaterThan(4_000);
  });

  it("counts dropped values and dead letters exactly once (custsync's own counters)", () => {
    expect(problems.counters).toEqual([]);
  });

  it('publishes a change event for every change', () => {
    expect(problems.changes).toEqual([]);
    expect(report.changes?.changes).toBeGreaterThan(0);
  });

  it('never crashes on its own, and no partition stalls', () => {
    expect(problems.crashes).toEqual([]);
    expect(problems.stalls).toEqual([]);
  });

  it('Postgres down 30 s: not ready, no offset committed, resumes', () => {
    expect(problems.pgOutage).toEqual([]);
  });

  it('Kafka broker down 30 s: not ready, positions frozen, resumes', () => {
    expect(problems.kafkaOutage).toEqual([]);
  });
});
