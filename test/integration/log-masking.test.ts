import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { makeIdle } from '../helpers/privacy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/app/daemon.js';
import { parseConfig } from '../../src/app/loadConfig.js';
import { createLogger } from '../../src/runtime/logger.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { caughtUp, CLI, testConfig, waitUntil, writeConfig } from '../helpers/daemon.js';
import { createTopics, randomTopic, testKafka } from '../helpers/kafka.js';

/** Everyone in the run, with every spelling of their data that could end up in a log line. */
const PEOPLE = [
  {
    sent: 'Ana.Moreira@Example.com',
    emails: ['Ana.Moreira@Example.com', 'ana.moreira@example.com'],
    documents: ['529.982.247-25', '52998224725'],
    phones: ['34991234567', '991234567', '(34) 99123-4567'],
  },
  {
    sent: ' Bruno.Lima@Example.org ',
    emails: ['Bruno.Lima@Example.org', 'bruno.lima@example.org'],
    documents: ['11.222.333/0001-81', '11222333000181'],
    phones: ['+55 21 98888-7777', '988887777'],
  },
  { sent: 'carla.dias@example.net', emails: ['carla.dias@example.net'], documents: [], phones: ['+5511977776666', '977776666'] },
  // never forgotten: retention and export see her
  { sent: 'Eva.Rocha@example.com', emails: ['Eva.Rocha@example.com', 'eva.rocha@example.com'], documents: ['390.533.447-05', '39053344705'], phones: ['(81) 97777-1234', '977771234', '(34) 98765-4321', '987654321'] },
  // only ever in invalid input
  { sent: 'dead.letter@example.com', emails: ['dead.letter@example.com', 'dead.letter@@example.com'], documents: ['111.444.777-35'], phones: ['11 96666-5555'] },
];
type Person = (typeof PEOPLE)[number];
const SECRETS = PEOPLE.flatMap((p) => [...p.emails, ...p.documents, ...p.phones]);

function hotmart(id: string, email: string, name: string, phone: string, document: string) {
  return JSON.stringify({
    id,
    creation_date: Date.UTC(2024, 2, 1, 12),
    event: 'PURCHASE_APPROVED',
    version: '2.0.0',
    data: {
      buyer: { email, name, checkout_phone: phone, document, address: { address: 'Rua X', number: '1', city: 'Recife', zipcode: '50000000', country_iso: 'BR' } },
      purchase: { transaction: `HP-${id}`, status: 'APPROVED' },
    },
  });
}

/** Runs the built CLI (`npm run build` first); returns everything it printed. */
function runCli(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CUSTSYNC_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', () => resolve(out));
  });
}

describe('logs at info level never contain a full email, document or phone', () => {
  let db: TestDatabase;
  let kafka: Kafka;
  let daemon: Daemon;
  let configFile: string;
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const topics = { hotmart: randomTopic('hotmart'), crm: randomTopic('crm'), forget: randomTopic('forget') };
  const deadLetterTopic = randomTopic('dlq');
  const groupId = randomTopic('group');

  const produce = async (topic: string, values: (string | null)[]) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await producer.disconnect();
  };

  beforeAll(async () => {
    db = await freshDatabase();
    kafka = testKafka();
    await createTopics(kafka, [...Object.values(topics), deadLetterTopic], 1);
    const raw = testConfig({
      databaseUrl: db.url,
      groupId,
      deadLetterTopic,
      changeTopic: randomTopic('changes'),
      platforms: [
        { name: 'hotmart', mapper: 'hotmart', priority: 50, topics: [topics.hotmart] },
        { name: 'crm', mapper: 'generic', priority: 70, topics: [topics.crm] },
      ],
      extra: { privacy: { forgetTopic: topics.forget }, retention: { inactiveAfter: '1y' } },
    });
    configFile = writeConfig(raw);
    daemon = createDaemon(parseConfig(raw, 'test-config', {}), createLogger({ level: 'info', destination: capture }), { migrate: false, httpPort: 0 });
    await daemon.lifecycle.start();
  });
  afterAll(async () => {
    await daemon?.lifecycle.stop();
    await db?.drop();
  });

  it('through a full run: valid and invalid messages, operator edits, forget requests and commands', async () => {
    const [ana, bruno, carla, eva, dead] = PEOPLE as [Person, Person, Person, Person, Person];
    await produce(topics.hotmart, [
      hotmart('h1', ana.sent, 'Ana Moreira', '34991234567', '529.982.247-25'),
      hotmart('h2', 'dead.letter@@example.com', 'Dead Letter', '11 96666-5555', '111.444.777-35'), // invalid email
      `{"not json": "${dead.sent}"`,
      JSON.stringify({ id: 'h3', creation_date: 'yesterday', event: 'PURCHASE_APPROVED', version: '2.0.0', data: { buyer: { email: dead.sent } } }),
      null,
    ]);
    await produce(topics.crm, [
      JSON.stringify({ eventId: 'c1', eventTime: '2024-05-01T12:00:00Z', email: bruno.sent, customer: { name: 'Bruno Lima', phone_number: '+55 21 98888-7777', document_number: '11.222.333/0001-81' } }),
      JSON.stringify({ eventId: 'c2', eventTime: '2024-05-01T12:00:00Z', email: carla.sent, customer: { name: 'Carla Dias', phone_number: '+5511977776666', document_number: '123' } }),
      JSON.stringify({ eventId: 'c3', eventTime: 'not a time', email: dead.sent, customer: { phone_number: '11 96666-5555' } }),
      JSON.stringify({ eventId: 'c4', eventTime: '2024-05-01T12:00:00Z', platform: 'unknown', email: dead.sent, customer: { document_number: '111.444.777-35' } }),
      JSON.stringify({ eventId: 'c5', eventTime: '2024-05-01T12:00:00Z', email: eva.sent, customer: { name: 'Eva Rocha', phone_number: '(81) 97777-1234', document_number: '390.533.447-05' } }),
    ]);
    await waitUntil('the daemon to catch up', () => caughtUp(kafka, db.pool, [topics.hotmart, topics.crm]), 30_000);

    const printed: string[] = [];
    printed.push(await runCli(['--config', configFile, 'customer', 'update', '--email', eva.sent, '--set', 'phone_number=(34) 98765-4321', '--reason', 'asked by phone']));
    await db.pool.query(`UPDATE customers SET document_number = '52998224725' WHERE email = 'carla.dias@example.net'`); // a hand edit

    await produce(topics.forget, [JSON.stringify({ email: ana.sent, requestedBy: 'dpo', reason: 'ticket 1' }), 'dead.letter@@example.com', `{"email": "${dead.sent}"`]);
    await waitUntil('the forget request', async () => (await db.pool.query(`SELECT 1 FROM customer_logs WHERE field_name = 'pseudonymization'`)).rowCount === 1, 30_000);
    await produce(topics.hotmart, [hotmart('h4', ana.sent, 'Ana Moreira', '34991234567', '529.982.247-25')]); // suppressed
    await waitUntil('the suppressed event', () => caughtUp(kafka, db.pool, [topics.hotmart]), 30_000);

    const dir = mkdtempSync(join(tmpdir(), 'custsync-logmask-'));
    const emailsFile = join(dir, 'emails.txt');
    writeFileSync(emailsFile, `${carla.sent}\ndead.letter@@example.com\n`);
    printed.push(await runCli(['--config', configFile, 'forget', '--email', bruno.sent]));
    printed.push(await runCli(['--config', configFile, 'forget', '--file', emailsFile]));
    printed.push(await runCli(['--config', configFile, 'forget', 'lift', '--email', bruno.sent]));
    printed.push(await runCli(['--config', configFile, 'export', '--email', eva.sent, '--out', join(dir, 'export.json')]));
    await makeIdle(db.pool, (await db.pool.query<{ email: string }>('SELECT email FROM customers')).rows.map((r) => r.email), '2 years');
    printed.push(await runCli(['--config', configFile, 'retention', 'run', '--dry-run']));
    await daemon.lifecycle.stop();

    // the run did what it should, so the logs cover it
    const text = lines.join('\n');
    expect(text).toContain('dead-lettered');
    expect(text).toContain('forget request applied');
    expect(text).toContain('forget request dead-lettered');
    expect(printed.join('\n')).toContain('forget batch committed');
    expect(printed.join('\n')).toContain('suppression lifted');
    expect(printed.join('\n')).toContain('updated: 2 field(s) changed');
    expect(printed.join('\n')).toContain('dry run: 1 customer(s)');
    expect(text).toContain('"reason":"unknown_platform"');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();

    const leaks = [...lines, ...printed.flatMap((p) => p.split('\n'))].flatMap((line) =>
      SECRETS.filter((secret) => line.toLowerCase().includes(secret.toLowerCase())).map((secret) => `${secret} in: ${line}`),
    );
    expect(leaks).toEqual([]);
  });
});
