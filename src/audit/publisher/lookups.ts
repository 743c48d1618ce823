import type { Queryable } from '../../replication/slots.js';
import type { Lookups } from './assemble.js';
import { lookupsNeeded, type TransactionDigest } from './digest.js';
import { addressRow, customerRow, timestampText, type AddressRow, type CustomerRow } from './rows.js';

const SELECT_ADDRESSES = `
SELECT id, address, number, complement, neighborhood, city, state, zip_code, country, ip,
       ${timestampText('created_at')}, ${timestampText('updated_at')}
  FROM addresses WHERE id = ANY($1::int[])`;

const SELECT_OWNERS = `
SELECT id, email, name, customer_id, address_id, phone_local_code, phone_number, document_type, document_number,
       ${timestampText('created_at')}, ${timestampText('updated_at')}
  FROM customers WHERE address_id = ANY($1::int[]) ORDER BY id`;

/**
 * The latest image of each address seen in the stream, least recently used
 * first. Entries only leave in `trim()`, between groups, and never while
 * pinned: a group whose lookups were prepared relies on the entries it found
 * here until it is assembled.
 */
export class AddressCache {
  private readonly rows = new Map<number, AddressRow>();
  private readonly pins = new Map<number, number>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.rows.size;
  }

  get(id: number): AddressRow | undefined {
    const row = this.rows.get(id);
    if (row) {
      this.rows.delete(id);
      this.rows.set(id, row);
    }
    return row;
  }

  has(id: number): boolean {
    return this.rows.has(id);
  }

  set(id: number, row: AddressRow): void {
    this.rows.delete(id);
    this.rows.set(id, row);
  }

  delete(id: number): void {
    this.rows.delete(id);
  }

  pin(id: number): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  unpin(id: number): void {
    const count = (this.pins.get(id) ?? 0) - 1;
    if (count > 0) this.pins.set(id, count);
    else this.pins.delete(id);
  }

  /** Evicts the least recently used entries beyond the capacity, pinned ones excepted. */
  trim(): void {
    for (const id of this.rows.keys()) {
      if (this.rows.size <= this.capacity) return;
      if (!this.pins.has(id)) this.rows.delete(id);
    }
  }
}

export interface GroupLookups {
  lookups: Lookups;
  /** Records the transaction's address images; call after assembling it, in commit order. */
  applied(digest: TransactionDigest): void;
  /** The group is assembled: the cache entries it relied on may be evicted again. */
  release(): void;
}

/**
 * Provides what transactions need from outside themselves: an address the
 * transaction did not write comes from the cache (exact: the last image the
 * stream carried), else from a query (the current row, which can be newer
 * than the transaction, never older); customers of an address changed alone
 * come from a query. One query of each kind per group of transactions. The
 * cache entries a group relies on are pinned from the call until `release()`,
 * so the next group's lookups can be prepared while this one is assembled.
 */
export class LookupResolver {
  constructor(
    private readonly db: Queryable,
    readonly cache: AddressCache,
  ) {}

  async forGroup(digests: readonly TransactionDigest[]): Promise<GroupLookups> {
    const missing = new Set<number>();
    const ownerIds = new Set<number>();
    const written = new Set<number>();
    const pinned = new Set<number>();
    for (const digest of digests) {
      const needed = lookupsNeeded(digest);
      for (const id of needed.addressIds) {
        if (written.has(id)) continue;
        if (!this.cache.has(id)) missing.add(id);
        else pinned.add(id);
      }
      for (const id of needed.ownerAddressIds) ownerIds.add(id);
      for (const id of digest.addresses.keys()) written.add(id);
    }
    for (const id of pinned) this.cache.pin(id);
    const release = () => {
      for (const id of pinned) this.cache.unpin(id);
      pinned.clear();
    };
    try {
      return await this.query(missing, ownerIds, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async query(missing: ReadonlySet<number>, ownerIds: ReadonlySet<number>, release: () => void): Promise<GroupLookups> {
    const fetched = new Map<number, AddressRow>();
    if (missing.size > 0) {
      const { rows } = await this.db.query(SELECT_ADDRESSES, [[...missing]]);
      for (const row of rows) {
        const address = addressRow(row);
        fetched.set(address.id, address);
      }
    }
    const owners = new Map<number, CustomerRow[]>();
    if (ownerIds.size > 0) {
      const { rows } = await this.db.query(SELECT_OWNERS, [[...ownerIds]]);
      for (const row of rows) {
        const customer = customerRow(row);
        if (customer.address_id === null) continue;
        const list = owners.get(customer.address_id) ?? [];
        list.push(customer);
        owners.set(customer.address_id, list);
      }
    }
    const cache = this.cache;
    return {
      lookups: {
        address(id) {
          const cached = cache.get(id);
          if (cached) return cached;
          const row = fetched.get(id);
          if (row) cache.set(id, row);
          return row;
        },
        owners: (addressId) => owners.get(addressId) ?? [],
      },
      applied(digest) {
        for (const [id, history] of digest.addresses) {
          if (history.after) cache.set(id, history.after);
          else cache.delete(id);
        }
      },
      release,
    };
  }
}
