import { formatTable } from '../../../src/reports/format.js';
import { outageProblems, type OutageReport } from './outage.js';
import type { ScenarioReport } from './scenario.js';

const n = (value: number) => value.toLocaleString('en-US');
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function sample(items: readonly string[], max = 10): string[] {
  const shown = items.filter(Boolean).slice(0, max);
  return items.length > max ? [...shown, `... and ${items.length - max} more`] : shown;
}

/** Every failure of a run, by requirement; an empty list is a pass. */
export interface Problems {
  lost: string[];
  duplicated: string[];
  deadLetters: string[];
  literals: string[];
  changes: string[];
  counters: string[];
  crashes: string[];
  stalls: string[];
  pgOutage: string[];
  kafkaOutage: string[];
  scenario: string[];
}

export function lostCount(r: ScenarioReport): number {
  const st = r.state;
  const wrong = new Set(st?.differentCustomers.map((d) => d.email)).size;
  return (st ? st.missingCustomers.length + wrong + st.missingAuditRows + st.wrongAuditRows : 0) + (r.deadLetters ? r.deadLetters.missing.length + r.deadLetters.unexpected.length : 0) + (r.changes?.missing.length ?? 0);
}

export function duplicatedCount(r: ScenarioReport): number {
  const st = r.state;
  return st ? st.duplicateCustomers.reduce((sum, d) => sum + d.count - 1, 0) + st.duplicateAuditRows + st.unexpectedCustomers.length : 0;
}

export function problemsOf(r: ScenarioReport): Problems {
  const p: Problems = { lost: [], duplicated: [], deadLetters: [], literals: [], changes: [], counters: [], crashes: [], stalls: [], pgOutage: [], kafkaOutage: [], scenario: [] };
  p.scenario.push(...r.errors);
  if (r.kills < 5) p.scenario.push(`only ${r.kills} of 5 SIGKILLs were injected`);
  if (!r.secondInstance) p.scenario.push('the second instance did not run');
  if (r.model && r.model.disagreements.length > 0) p.scenario.push(`generator tags and custsync's pure decoding disagree on ${r.model.disagreements.length} messages:`, ...sample(r.model.disagreements));
  const st = r.state;
  if (!st) p.lost.push('the state was not compared');
  else {
    if (st.missingCustomers.length) p.lost.push(`${st.missingCustomers.length} customers missing: ${sample(st.missingCustomers, 5).join(', ')}`);
    if (st.differentCustomers.length) p.lost.push(`${st.differentCustomers.length} values differ from the model:`, ...sample(st.differentCustomers.map((d) => `${d.email} ${d.field}: ${JSON.stringify(d.actual)}, expected ${JSON.stringify(d.expected)}`)));
    if (st.missingAuditRows) p.lost.push(`${st.missingAuditRows} audit rows missing`);
    if (st.wrongAuditRows) p.lost.push(`${st.wrongAuditRows} audit rows the model does not have (a diverged history)`);
    if (st.reorderedTrails.length) p.lost.push(`${st.reorderedTrails.length} audit trails in another order: ${sample(st.reorderedTrails, 5).join(', ')}`);
    if (st.missingAuditRows || st.duplicateAuditRows || st.wrongAuditRows || st.reorderedTrails.length) p.lost.push(...st.trailSamples);
    if (st.duplicateCustomers.length) p.duplicated.push(`${st.duplicateCustomers.length} emails with more than one customer: ${sample(st.duplicateCustomers.map((d) => `${d.email} ×${d.count}`), 5).join(', ')}`);
    if (st.duplicateAuditRows) p.duplicated.push(`${st.duplicateAuditRows} audit rows written more often than the model has them`);
    if (st.unexpectedCustomers.length) p.duplicated.push(`${st.unexpectedCustomers.length} customers the model does not have: ${sample(st.unexpectedCustomers, 5).join(', ')}`);
  }
  const dl = r.deadLetters;
  if (!dl) p.deadLetters.push('the dead-letter topic was not checked');
  else {
    if (dl.missing.length) p.deadLetters.push(`${dl.missing.length} malformed messages not dead-lettered:`, ...sample(dl.missing));
    if (dl.unexpected.length) p.deadLetters.push(`${dl.unexpected.length} valid messages dead-lettered instead of applied:`, ...sample(dl.unexpected));
    if (dl.wrongReason.length) p.deadLetters.push(`${dl.wrongReason.length} dead letters with another reason than expected:`, ...sample(dl.wrongReason));
    if (dl.withoutReason.length) p.deadLetters.push(`${dl.withoutReason.length} dead letters without custsync.reason / custsync.error: ${sample(dl.withoutReason, 5).join(', ')}`);
  }
  if (!r.literals) p.literals.push('tricky values were not checked');
  else if (r.literals.failures.length) p.literals.push(`${r.literals.failures.length} of ${r.literals.checked} tricky values not stored as sent:`, ...sample(r.literals.failures));
  if (!r.changes) p.changes.push('the change topic was not checked');
  else if (r.changes.missing.length) p.changes.push(`${r.changes.missing.length} of ${r.changes.changes} changes in no change event:`, ...sample(r.changes.missing));
  if (!r.counters) p.counters.push('the counters were not checked');
  else if (r.counters.differences.length) p.counters.push(...r.counters.differences);
  for (const c of r.crashes) p.crashes.push(`${c.process} exited on its own (${c.exit}); log ${c.logFile}:\n${c.tail}`);
  if (r.fatal.length) p.crashes.push(`${r.fatal.length} fatal log lines:`, ...sample(r.fatal, 5));
  if (r.stalled.length) p.stalls.push('partitions that never reached their high watermark:', ...r.stalled);
  p.pgOutage.push(...outageProblems(r.pgOutage, 'Postgres outage'));
  p.kafkaOutage.push(...outageProblems(r.kafkaOutage, 'Kafka outage'));
  return p;
}

function readiness(o: OutageReport | undefined): string {
  if (!o) return 'did not run';
  const counts = new Map<string, number>();
  for (const poll of o.during) counts.set(String(poll.status), (counts.get(String(poll.status)) ?? 0) + 1);
  const answers = [...counts].map(([status, count]) => `${status} ×${count}`).join(', ');
  const again = Object.entries(o.readyAgainMs)
    .map(([name, ms]) => `${name} ${o.exited[name] ? `exited (${o.exited[name]})` : ms === null ? 'never' : s(ms)}`)
    .join(', ');
  return `down ${s(o.downMs)}; /readyz ${answers || 'not polled'}; positions ${o.frozen?.equal ? 'frozen' : 'MOVED'}; ready again: ${again}; resumed after ${o.resumedAfterMs === null ? 'never' : s(o.resumedAfterMs)}`;
}

/** The one summary table of a run. */
export function summaryTable(r: ScenarioReport, totalMs: number): string {
  const { sent, model, deadLetters: dl, state: st, changes: ch } = r;
  const streamShare = r.secondInstance ? (r.secondInstance.toMs - r.secondInstance.fromMs) / Math.max(1, r.durations.streamMs) : 0;
  const faults = r.kills + (r.pgOutage ? 1 : 0) + (r.kafkaOutage ? 1 : 0) + (r.secondInstance ? 1 : 0);
  const wrong = new Set(st?.differentCustomers.map((d) => d.email)).size;
  const rows = [
    { what: 'seed', count: r.options.seed, detail: `CUSTSYNC_FAULT_SEED=${r.options.seed} reproduces the input and the fault times` },
    {
      what: 'faults injected',
      count: faults,
      detail: `${r.kills} × SIGKILL + restart; Postgres down ${s(r.pgOutage?.downMs ?? 0)}; Kafka broker down ${s(r.kafkaOutage?.downMs ?? 0)}; 2nd instance for ${Math.round(streamShare * 100)}% of the stream`,
    },
    { what: 'events sent', count: sent.total, detail: `${n(sent.main)} events + ${n(sent.malformed)} malformed + ${n(sent.tricky)} tricky; ${n(r.topicMessages)} in the topics (${n(model?.producerDuplicates ?? 0)} written twice by a retried send)` },
    { what: 'applied', count: model?.valid ?? 0, detail: `valid messages; ${n(st?.actualCustomers ?? 0)} customers, ${n(st?.actualAuditRows ?? 0)} audit rows; ${n(model?.skipped ?? 0)} skipped (no customer data)` },
    { what: 'dead-lettered', count: dl?.unique ?? 0, detail: `unique origins; ${n(dl?.raw ?? 0)} raw (${n(dl?.redelivered ?? 0)} sent again after a kill); reasons: ${[...(dl?.byReason ?? [])].map(([k, v]) => `${k} ${v}`).join(', ')}` },
    {
      what: 'lost',
      count: lostCount(r),
      detail: `customers ${n(st?.missingCustomers.length ?? 0)} missing + ${n(wrong)} wrong; audit rows ${n(st?.missingAuditRows ?? 0)} missing + ${n(st?.wrongAuditRows ?? 0)} wrong; dead letters ${n(dl?.missing.length ?? 0)} missing + ${n(dl?.unexpected.length ?? 0)} valid dead-lettered; changes without event ${n(ch?.missing.length ?? 0)}`,
    },
    {
      what: 'duplicated',
      count: duplicatedCount(r),
      detail: `customers ${n(st?.duplicateCustomers.length ?? 0)}; audit rows ${n(st?.duplicateAuditRows ?? 0)}; customers not in the model ${n(st?.unexpectedCustomers.length ?? 0)}`,
    },
    { what: 'tricky values checked', count: r.literals?.checked ?? 0, detail: `${n(r.literals?.failures.length ?? 0)} not stored as sent` },
    {
      what: 'counters',
      count: r.counters?.differences.length ?? 0,
      detail: `differences in custsync.dropped_values (${n(r.counters?.droppedValues ?? 0)} values dropped) and custsync.dead_letter_counts (${n(r.counters?.deadLetters ?? 0)})`,
    },
    { what: 'change events', count: ch?.uniqueEvents ?? 0, detail: `unique (${n(ch?.rawEvents ?? 0)} raw); ${n(ch?.changes ?? 0)} net changes: ${n(ch?.matchedExactly ?? 0)} in their transaction's event, ${n(ch?.matchedLoosely ?? 0)} elsewhere, ${n(ch?.missing.length ?? 0)} missing` },
    { what: 'Postgres outage', count: r.pgOutage?.during.length ?? 0, detail: readiness(r.pgOutage) },
    { what: 'Kafka outage', count: r.kafkaOutage?.during.length ?? 0, detail: readiness(r.kafkaOutage) },
    { what: 'crashes', count: r.crashes.length, detail: `exits the suite did not cause; fatal log lines ${r.fatal.length}; stalled partitions ${r.stalled.length}` },
    {
      what: 'duration (s)',
      count: Math.round(totalMs / 1000),
      detail: `stream ${s(r.durations.streamMs)}, drain ${s(r.durations.drainMs)}, publisher ${s(r.durations.publisherMs)}, checks ${s(r.durations.verifyMs)}; counted from the global setup (services up), teardown not included`,
    },
  ];
  return formatTable({ columns: ['what', 'count', 'detail'], rows });
}
