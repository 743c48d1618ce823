import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Component } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { withTimeout } from './timeout.js';

/** A named readiness check; throws (or rejects) when not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** A check that has not answered by then fails: a probe needs an answer, not a wait on a retrying client. */
const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  try {
    await withTimeout(check.check(), CHECK_TIMEOUT_MS, () => new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
    return { name: check.name, ok: true };
  } catch (err) {
    return { name: check.name, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** `/healthz` (process alive), `/readyz` (every check passes), `/metrics` (Prometheus). */
export class HttpServer implements Component {
  readonly name = 'http';
  private server: Server | undefined;
  private readonly checks: ReadinessCheck[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  addReadinessCheck(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** The bound port (useful when configured as 0). */
  get boundPort(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.route(req.url ?? '/').then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.port, this.host, () => resolve());
    });
    this.logger.info({ host: this.host, port: this.boundPort }, 'http listening: /healthz /readyz /metrics');
  }

  private async route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/healthz') return { status: 200, type: 'application/json', body: '{"status":"ok"}\n' };
    if (path === '/readyz') {
      const { ready, results } = await this.readiness();
      return { status: ready ? 200 : 503, type: 'application/json', body: `${JSON.stringify({ ready, checks: results })}\n` };
    }
    if (path === '/metrics') {
      // Prometheus sees readiness too (custsync_ready), so alerts need no probe of their own.
      await this.readiness();
      return { status: 200, type: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
    }
    return { status: 404, type: 'text/plain', body: 'not found\n' };
  }

  private async readiness(): Promise<{ ready: boolean; results: Awaited<ReturnType<typeof runCheck>>[] }> {
    const results = await Promise.all(this.checks.map(runCheck));
    const ready = results.every((r) => r.ok);
    this.metrics.ready.set(ready ? 1 : 0);
    for (const r of results) this.metrics.readyCheck.set({ check: r.name }, r.ok ? 1 : 0);
    return { ready, results };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
