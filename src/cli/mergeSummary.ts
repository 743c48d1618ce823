import { maskEmail, maskValue } from '../runtime/mask.js';
import { formatTable } from '../reports/format.js';
import type { MergeResult } from '../unifier/merge/merge.js';

/** The operator's summary: one line per field the dropped customer had, and what moved. Pure. */
export function mergeSummary(result: MergeResult, reveal: boolean): string {
  const show = (field: string, value: string | null) => (reveal ? value : maskValue(field, value));
  const head = result.committed
    ? `merged customer ${result.dropId} into customer ${result.keepId} (merge audit row ${result.mergeLogId})`
    : `dry run, nothing written: customer ${result.dropId} would be merged into customer ${result.keepId}`;
  const table = formatTable({
    columns: ['field', 'kept_before', 'dropped', 'after', 'outcome'],
    rows: result.fields.map((f) => ({
      field: f.field,
      kept_before: show(f.field, f.before),
      dropped: show(f.field, f.dropped),
      after: show(f.field, f.after),
      outcome: f.outcome,
    })),
  });
  const becomes = result.committed ? 'is now' : 'would become';
  const alias = result.alias === null ? 'it had no email' : `${reveal ? result.alias : maskEmail(result.alias)} ${becomes} an alias of customer ${result.keepId}`;
  const lines = [
    head,
    table.trimEnd(),
    `${result.changedFields} field(s) changed; moved ${result.movedLogs} audit row(s) and ${result.movedAliases.length} alias(es); ${alias}`,
  ];
  if (result.committed) lines.push(`to reverse it by hand, see docs/dedup-and-merge.md with merge_log_id=${result.mergeLogId}`);
  return `${lines.join('\n')}\n`;
}
