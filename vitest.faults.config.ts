import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`, docs/reliability.md): its own services, set up by
// test/faults/globalSetup.ts; the defaults here must match test/faults/helpers/services.ts.
const pgPort = process.env.CUSTSYNC_FAULT_PG_PORT ?? '55442';
const kafkaPort = process.env.CUSTSYNC_FAULT_KAFKA_PORT ?? '19102';
// The whole scenario runs in one beforeAll: its limit grows with a longer stream (a soak run).
const streamSeconds = Number(process.env.CUSTSYNC_FAULT_STREAM_SECONDS ?? 140);
const events = Number(process.env.CUSTSYNC_FAULT_EVENTS ?? 100_000);

export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/globalSetup.ts'],
    // test/helpers/* read these: point them at the isolated services, never the shared ones.
    env: {
      CUSTSYNC_TEST_PG_URL: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
      CUSTSYNC_TEST_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    },
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: Math.max(900_000, (streamSeconds + 600) * 1_000 + events * 4),
  },
});
