import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/runtime/metrics.js';

/** Series Prometheus itself adds to every target. */
const BUILTIN = new Set(['up']);
/** PromQL words that look like metric names. */
const PROMQL = new Set(['sum', 'max', 'min', 'avg', 'by', 'rate', 'increase', 'histogram_quantile', 'le', 'topic', 'partition', 'platform', 'reason', 'slot', 'op', 'consumer', 'source', 'field', 'instance', 'job', 'check', 'humanize1024', 'humanizeDuration', 'value', 'labels']);

/** The metric names of a PromQL expression: identifiers not inside braces, quotes or brackets, and not functions or keywords. */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, ' ').replace(/"[^"]*"/g, ' ').replace(/\[[^\]]*\]/g, ' ').replace(/(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?/g, ' ');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((name) => !PROMQL.has(name) && !/^\d/.test(name));
}

/** Every series custsync exports, histograms with their _bucket/_sum/_count. */
async function exported(): Promise<Set<string>> {
  const metrics = new Metrics({ defaultMetrics: true });
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (['histogram', 'summary'].includes(String(metric.type))) for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

interface Rules {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}
interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

describe('deploy/: Prometheus alerts and the Grafana dashboard', () => {
  const rules = parse(readFileSync('deploy/prometheus/custsync-alerts.yaml', 'utf8')) as Rules;
  const dashboard = JSON.parse(readFileSync('deploy/grafana/custsync-dashboard.json', 'utf8')) as Dashboard;
  const alerts = rules.groups.flatMap((g) => g.rules);

  it('alert on not ready, consumer lag, replication slot lag and the dead-letter rate', () => {
    const uses = (metric: string) => alerts.some((a) => metricNames(a.expr).includes(metric));
    for (const metric of ['custsync_ready', 'custsync_consumer_lag_seconds', 'custsync_replication_slot_lag_bytes', 'custsync_dead_letters_total']) expect(uses(metric), metric).toBe(true);
  });

  it('use only metrics custsync exports (and Node process metrics under their standard names)', async () => {
    const names = await exported();
    const used = [...alerts.map((a) => a.expr), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))].flatMap(metricNames);
    expect(used.length).toBeGreaterThan(20);
    const unknown = [...new Set(used)].filter((name) => !names.has(name) && !BUILTIN.has(name));
    expect(unknown).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds']));
  });

  it('the name extraction sees through PromQL', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(custsync_batch_duration_seconds_bucket[5m])))')).toEqual(['custsync_batch_duration_seconds_bucket']);
    expect(metricNames('increase(custsync_dead_letters_total{reason="undecodable_batch"}[1h]) > 0')).toEqual(['custsync_dead_letters_total']);
  });
});
