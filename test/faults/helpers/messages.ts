import type { Field } from '../../../src/contract.js';
import type { DeadLetterReason } from '../../../src/contract.js';

/** The topics of one fault run (random names, created by the suite). */
export interface FaultTopics {
  /** Generic format, several platforms named in the payloads, keyed by normalized email. */
  generic: string;
  hotmart: string;
  stripe: string;
  kiwify: string;
  deadLetters: string;
  changes: string;
}

/** One stored value the generator knows in advance, independently of custsync's code. */
export interface LiteralCheck {
  /** The normalized email of the customer (that customer has no other record with this field). */
  email: string;
  field: Field;
  /** What `customers`/`addresses` must hold; null: nothing stored (the value was dropped). */
  value: string | null;
}

/** What the generator says must happen to a message. */
export type Expectation =
  /** Applied (tricky values carry the exact stored value expected). */
  | {
      kind: 'valid';
      what: string;
      /** Exact stored values. */
      literal?: LiteralCheck[];
      /** Normalized emails that must exist as exactly one customer. */
      customers?: string[];
      /** Normalized emails that must not exist. */
      absent?: string[];
    }
  /** Dead-lettered with this reason. */
  | { kind: 'malformed'; reason: DeadLetterReason; what: string }
  /** An event type that carries no customer data: neither applied nor dead-lettered. */
  | { kind: 'skip'; what: string };

/** A message to produce; `id` goes into the `x-fault-id` header so the read-back finds it again. */
export interface Outgoing {
  id: number;
  topic: string;
  key: string | null;
  value: Buffer | null;
  expect: Expectation;
}

export const ID_HEADER = 'x-fault-id';

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Merges lists into one at seeded random places, keeping each list's own order. */
export function interleave<T>(lists: readonly (readonly T[])[], random: () => number): T[] {
  const cursors = lists.map(() => 0);
  const total = lists.reduce((n, l) => n + l.length, 0);
  const out: T[] = [];
  while (out.length < total) {
    // Pick a list with probability proportional to what it has left.
    let left = total - out.length;
    let pick = Math.floor(random() * left);
    for (let i = 0; i < lists.length; i += 1) {
      const list = lists[i] as readonly T[];
      const remaining = list.length - (cursors[i] as number);
      if (pick < remaining) {
        out.push(list[cursors[i] as number] as T);
        cursors[i] = (cursors[i] as number) + 1;
        break;
      }
      pick -= remaining;
      left -= remaining;
    }
  }
  return out;
}
