import { describe, expect, it } from 'vitest';
import { assembleEvents, type Lookups } from '../../../../src/audit/publisher/assemble.js';
import { ChangeEvent } from '../../../../src/audit/publisher/ChangeEvent.js';
import { digestTransaction, lookupsNeeded } from '../../../../src/audit/publisher/digest.js';
import { addressRow as toAddress, customerRow as toCustomer } from '../../../../src/audit/publisher/rows.js';
import type { WalChange } from '../../../../src/replication/stream.js';
import { addressRow, customerRow, insert, ISO0, ISO1, logRow, remove, state, T1, transaction, update } from './fixtures.js';

const context = { database: 'custsync', slot: 'custsync_changes', now: 1_709_380_000_000 };

function lookups(addresses: Record<number, ReturnType<typeof addressRow>> = {}, owners: Record<number, ReturnType<typeof customerRow>[]> = {}): Lookups {
  return {
    address: (id) => (addresses[id] ? toAddress(addresses[id]) : undefined),
    owners: (addressId) => (owners[addressId] ?? []).map(toCustomer),
  };
}

function events(changes: WalChange[], from: Lookups = lookups()) {
  const out = assembleEvents(digestTransaction(transaction(changes)), from, context);
  for (const event of out) ChangeEvent.parse(event); // every event matches the published schema
  return out;
}

const ana = { name: 'Ana Souza', phone_number: '11999990000', document_number: '52998224725', document_type: 'CPF' };
const home = { address: 'Rua Augusta', number: '20', city: 'São Paulo', state: 'SP', zip_code: '01305-000', country: 'BR' };

interface Case {
  name: string;
  changes: WalChange[];
  lookups?: Lookups;
  expected: Partial<ChangeEvent>[];
}

const cases: Case[] = [
  {
    name: 'engine insert: a new customer with its address, audited and with provenance',
    changes: [
      insert('customers', customerRow(1)),
      insert('addresses', addressRow(10, { city: 'Recife' })),
      update('customers', customerRow(1), customerRow(1, { name: 'Ana Souza', address_id: 10, updated_at: T1 })),
      insert('customer_logs', logRow(1, 'name', null, 'Ana Souza', 'hotmart')),
      insert('customer_logs', logRow(1, 'city', null, 'Recife', 'hotmart')),
      insert('customer_state', state(1, { name: ['hotmart', 'ev-1'], city: ['hotmart', 'ev-1'] })),
    ],
    expected: [
      {
        event_id: '0/16B3748:1',
        op: 'c',
        key: { id: 1 },
        before: null,
        changed_by: ['hotmart'],
        sources: [{ platform: 'hotmart', event_id: 'ev-1' }],
        pseudonymized: false,
        changes: [
          { field: 'email', old: null, new: 'person1@example.com', changed_by: 'hotmart', reason: null, provenance: null },
          {
            field: 'name', old: null, new: 'Ana Souza', changed_by: 'hotmart', reason: null,
            provenance: { platform: 'hotmart', priority: 50, event_time: ISO1, event_id: 'ev-1' },
          },
          {
            field: 'city', old: null, new: 'Recife', changed_by: 'hotmart', reason: null,
            provenance: { platform: 'hotmart', priority: 50, event_time: ISO1, event_id: 'ev-1' },
          },
        ],
      },
    ],
  },
  {
    name: 'engine update of a name and of the address',
    changes: [
      update('addresses', addressRow(10, home), addressRow(10, { ...home, city: 'Campinas', updated_at: T1 })),
      update('customers', customerRow(1, { ...ana, address_id: 10 }), customerRow(1, { ...ana, name: 'Ana B. Souza', address_id: 10, updated_at: T1 })),
      insert('customer_logs', logRow(1, 'name', 'Ana Souza', 'Ana B. Souza', 'stripe')),
      insert('customer_logs', logRow(1, 'city', 'São Paulo', 'Campinas', 'stripe')),
      update('customer_state', state(1, { name: ['hotmart', 'ev-1'] }), state(1, { name: ['stripe', 'evt_2', 60], city: ['stripe', 'evt_2', 60], zip_code: ['hotmart', 'ev-1'] })),
    ],
    expected: [
      {
        op: 'u',
        changed_by: ['stripe'],
        sources: [{ platform: 'stripe', event_id: 'evt_2' }],
        changes: [
          { field: 'name', old: 'Ana Souza', new: 'Ana B. Souza', changed_by: 'stripe', reason: null, provenance: { platform: 'stripe', priority: 60, event_time: ISO1, event_id: 'evt_2' } },
          { field: 'city', old: 'São Paulo', new: 'Campinas', changed_by: 'stripe', reason: null, provenance: { platform: 'stripe', priority: 60, event_time: ISO1, event_id: 'evt_2' } },
        ],
      },
    ],
  },
  {
    name: 'update of the customer only: the unchanged address comes from the lookups',
    changes: [
      update('customers', customerRow(1, { ...ana, address_id: 10 }), customerRow(1, { ...ana, phone_number: '11988887777', address_id: 10, updated_at: T1 })),
      insert('customer_logs', logRow(1, 'phone_number', '11999990000', '11988887777', 'operator:maria', 'customer called')),
    ],
    lookups: lookups({ 10: addressRow(10, home) }),
    expected: [
      {
        op: 'u',
        changed_by: ['operator:maria'],
        sources: [],
        changes: [{ field: 'phone_number', old: '11999990000', new: '11988887777', changed_by: 'operator:maria', reason: 'customer called', provenance: null }],
      },
    ],
  },
  {
    name: 'hand edit of an address alone in psql: the customer comes from the owners lookup',
    changes: [
      update('addresses', addressRow(10, home), addressRow(10, { ...home, number: '22' })),
      insert('customer_logs', logRow(1, 'number', '20', '22', 'postgres')),
      update('customer_state', state(1, { number: ['hotmart', 'ev-1'] }), state(1, { number: ['sql:postgres', 'sql:731', null] })),
    ],
    lookups: lookups({}, { 10: [customerRow(1, { ...ana, address_id: 10 })] }),
    expected: [
      {
        op: 'u',
        key: { id: 1 },
        changed_by: ['postgres'],
        sources: [{ platform: 'sql:postgres', event_id: 'sql:731' }],
        changes: [{ field: 'number', old: '20', new: '22', changed_by: 'postgres', reason: null, provenance: { platform: 'sql:postgres', priority: null, event_time: ISO1, event_id: 'sql:731' } }],
      },
    ],
  },
  {
    name: 'delete: the full before-image, no after',
    changes: [remove('customers', customerRow(1, { ...ana, address_id: 10 })), remove('customer_logs', { id: '5' })],
    lookups: lookups({ 10: addressRow(10, home) }),
    expected: [{ op: 'd', after: null, changes: [], changed_by: [], pseudonymized: false }],
  },
  {
    name: 'pseudonymization: one event, no personal data in before or old values, the scrub ignored',
    changes: [
      update('customer_logs', logRow(1, 'name', null, 'Ana Souza', 'hotmart'), logRow(1, 'name', null, '[scrubbed]', 'hotmart')),
      update('addresses', addressRow(10, home), addressRow(10, { ...home, address: null, number: null, zip_code: null, updated_at: T1 })),
      update(
        'customers',
        customerRow(1, { ...ana, address_id: 10 }),
        customerRow(1, { email: 'deleted_0f3c@anonymous.com', name: 'Anonymized Customer', address_id: 10, updated_at: T1 }),
      ),
      update('customer_state', state(1, { name: ['hotmart', 'ev-1'] }), state(1, {}, null)),
      insert('customer_logs', logRow(1, 'pseudonymization', 'Complete personal data', 'Anonymized data', 'GDPR Request', 'ticket 42')),
    ],
    expected: [
      {
        op: 'u',
        pseudonymized: true,
        changed_by: ['GDPR Request'],
        sources: [],
      },
    ],
  },
  {
    name: 'several customers in one transaction, in the order first touched',
    changes: [
      update('customers', customerRow(2, { name: 'Bruno' }), customerRow(2, { name: 'Bruno Lima' })),
      update('customers', customerRow(1, { name: 'Ana' }), customerRow(1, { name: 'Ana Souza' })),
      insert('customer_logs', logRow(2, 'name', 'Bruno', 'Bruno Lima', 'kiwify')),
      insert('customer_logs', logRow(1, 'name', 'Ana', 'Ana Souza', 'hotmart')),
    ],
    expected: [
      { event_id: '0/16B3748:2', key: { id: 2 }, changed_by: ['kiwify'] },
      { event_id: '0/16B3748:1', key: { id: 1 }, changed_by: ['hotmart'] },
    ],
  },
  {
    name: 'the customer_logs scrub alone is no customer change',
    changes: [update('customer_logs', logRow(1, 'name', 'Ana', 'Ana Souza', 'hotmart'), logRow(1, 'name', '[scrubbed]', '[scrubbed]', 'hotmart'))],
    expected: [],
  },
  {
    name: 'an UPDATE that changes nothing is no change',
    changes: [update('customers', customerRow(1, ana), customerRow(1, ana))],
    expected: [],
  },
  {
    name: 'a customer created and deleted by the same transaction',
    changes: [insert('customers', customerRow(1)), remove('customers', customerRow(1))],
    expected: [],
  },
  {
    name: 'a state row that only moves last seen (a webhook repeating what is held) is no customer change',
    changes: [update('customer_state', state(1, { name: ['hotmart', 'ev-1'] }), state(1, { name: ['hotmart', 'ev-2'] }))],
    expected: [],
  },
  {
    name: 'the sources are those of the changed values, each once',
    changes: [
      update('customers', customerRow(1, ana), customerRow(1, { ...ana, name: 'Ana B. Souza', phone_number: '11988887777', updated_at: T1 })),
      update('customer_state', state(1, { city: ['hotmart', 'ev-1'] }), state(1, { city: ['kiwify', 'ev-9'], name: ['stripe', 'evt_2', 60], phone_number: ['stripe', 'evt_2', 60] })),
    ],
    expected: [{ op: 'u', sources: [{ platform: 'stripe', event_id: 'evt_2' }] }],
  },
  {
    name: 'a provenance document custsync did not write (a hand edit of the state row) leaves the changes without provenance',
    changes: [
      update('customers', customerRow(1, ana), customerRow(1, { ...ana, name: 'Ana B. Souza', updated_at: T1 })),
      update('customer_state', state(1, {}), state(1, {}, '{"name": "not custsync\'s"}')),
    ],
    expected: [{ op: 'u', changes: [{ field: 'name', old: 'Ana Souza', new: 'Ana B. Souza', changed_by: null, reason: null, provenance: null }], sources: [] }],
  },
  {
    name: 'a value cleared by hand: its provenance row is deleted, the change has none',
    changes: [
      update('customers', customerRow(1, ana), customerRow(1, { ...ana, document_number: null })),
      insert('customer_logs', logRow(1, 'document_number', '52998224725', null, 'postgres')),
      update('customer_state', state(1, { document_number: ['hotmart', 'ev-1'], name: ['hotmart', 'ev-1'] }), state(1, { name: ['hotmart', 'ev-1'] })),
    ],
    expected: [{ op: 'u', changes: [{ field: 'document_number', old: '52998224725', new: null, changed_by: 'postgres', reason: null, provenance: null }] }],
  },
];

describe('assembleEvents', () => {
  it.each(cases)('$name', ({ changes, lookups: from, expected }) => {
    const out = events(changes, from);
    expect(out).toHaveLength(expected.length);
    out.forEach((event, i) => expect(event).toMatchObject(expected[i] ?? {}));
  });

  it('carries the full customer with its main address, before and after', () => {
    const [event] = events(cases[1]?.changes ?? []);
    expect(event?.before).toEqual({
      id: 1, email: 'person1@example.com', name: 'Ana Souza', customer_id: null, address_id: 10,
      phone_local_code: null, phone_number: '11999990000', document_type: 'CPF', document_number: '52998224725',
      created_at: ISO0, updated_at: ISO0,
      main_address: {
        id: 10, address: 'Rua Augusta', number: '20', complement: null, neighborhood: null, city: 'São Paulo', state: 'SP',
        zip_code: '01305-000', country: 'BR', ip: null, created_at: ISO0, updated_at: ISO0,
      },
    });
    expect(event?.after?.name).toBe('Ana B. Souza');
    expect(event?.after?.main_address?.city).toBe('Campinas');
    expect(event?.source).toEqual({
      connector: 'custsync', db: 'custsync', schema: 'public', table: 'customers', slot: 'custsync_changes',
      lsn: '0/16B3748', tx_id: 731, ts_ms: Date.parse('2024-03-02T08:30:00.250Z'), commit_time: '2024-03-02T08:30:00.250Z',
    });
    expect(event?.ts_ms).toBe(context.now);
  });

  it('a pseudonymized event holds no value of the before-image', () => {
    const pseudonymization = cases.find((c) => c.name.startsWith('pseudonymization'));
    const [event] = events(pseudonymization?.changes ?? []);
    const published = JSON.stringify(event);
    for (const personal of ['Ana Souza', 'person1@example.com', '11999990000', '52998224725', 'Rua Augusta', '01305-000']) {
      expect(published).not.toContain(personal);
    }
    expect(event?.before).toMatchObject({ id: 1, email: null, name: null, address_id: 10, main_address: { id: 10, address: null, city: null } });
    expect(event?.after).toMatchObject({ email: 'deleted_0f3c@anonymous.com', name: 'Anonymized Customer' });
    expect(event?.changes.map((c) => [c.field, c.old, c.new])).toEqual([
      ['email', null, 'deleted_0f3c@anonymous.com'],
      ['name', null, 'Anonymized Customer'],
      ['phone_number', null, null],
      ['document_type', null, null],
      ['document_number', null, null],
      ['address', null, null],
      ['number', null, null],
      ['zip_code', null, null],
    ]);
    expect(event?.changes.every((c) => c.changed_by === 'GDPR Request')).toBe(true);
  });

  it('the event id depends only on the commit LSN and the customer: re-reading the WAL gives the same ids', () => {
    const once = assembleEvents(digestTransaction(transaction(cases[0]?.changes ?? [])), lookups(), context);
    const again = assembleEvents(digestTransaction(transaction(cases[0]?.changes ?? [])), lookups(), { ...context, now: context.now + 5_000 });
    expect(again.map((e) => e.event_id)).toEqual(once.map((e) => e.event_id));
  });
});

describe('lookupsNeeded', () => {
  it('asks for unchanged main addresses and for the owners of addresses changed alone', () => {
    const digest = digestTransaction(
      transaction([
        update('customers', customerRow(1, { address_id: 10 }), customerRow(1, { address_id: 11, name: 'x' })),
        insert('addresses', addressRow(11)),
        update('customers', customerRow(2, { address_id: 20 }), customerRow(2, { address_id: 20, name: 'y' })),
        update('addresses', addressRow(30), addressRow(30, { city: 'Natal' })),
      ]),
    );
    expect(lookupsNeeded(digest)).toEqual({ addressIds: [10, 20], ownerAddressIds: [30] });
  });
});
