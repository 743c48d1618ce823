/**
 * The survivorship rules as the README states them ("Unification rules",
 * step 2, and the audit of step 3), written again from the text and nothing
 * else: this file imports nothing from src/. The crash, import and fault
 * verifiers compare Postgres with it, and a property test compares it with
 * the production fold — two independent implementations of one rule set.
 *
 * Records are applied one by one, in order. Their values are already
 * normalized (normalization is its own, separately tested, step).
 */

/** The fields survivorship decides, in the order a record's changes are audited (the seed's customer, then address columns). */
export const ORACLE_FIELDS = [
  'name', 'customer_id', 'phone_local_code', 'phone_number', 'document_type', 'document_number',
  'address', 'number', 'complement', 'neighborhood', 'city', 'state', 'zip_code', 'country', 'ip',
] as const;
export type OracleField = (typeof ORACLE_FIELDS)[number];

/** What the oracle reads of a record (a production NormalizedRecord has these). */
export interface OracleRecord {
  platform: string;
  email: string;
  eventTime: Date;
  values: Partial<Record<OracleField, string | null>>;
  /** Operator edits carry their reason, which their audit rows keep. */
  position?: { kind: string; reason?: string };
}

export interface OracleConfig {
  platforms: readonly { name: string; priority: number; fieldPriorities?: Partial<Record<string, number>> }[];
  /** `unifier.operatorPriority`: edits by `operator:<name>`. */
  operatorPriority: number;
  /** `audit.logInitialValues`. */
  logInitialValues?: boolean;
}

/** Who set a value: the platform, the priority it had then (null: a hand edit in SQL), and when. */
export interface Setter {
  platform: string;
  priority: number | null;
  eventTime: number;
}

export interface OracleCustomer {
  email: string;
  values: Record<OracleField, string | null>;
  /** Absent: nobody claimed the value (it predates custsync). */
  setBy: Partial<Record<OracleField, Setter>>;
}

export interface OracleAudit {
  email: string;
  field: OracleField | 'email';
  old: string | null;
  new: string | null;
  changedBy: string;
  reason: string | null;
}

const isEmpty = (value: string | null | undefined): boolean => value === null || value === undefined || value.trim() === '';

/** The priority of `platform` for `field` under `config`; undefined for a platform it does not name. */
function configured(config: OracleConfig, platform: string, field: OracleField): number | undefined {
  if (platform.startsWith('operator:')) return config.operatorPriority;
  const p = config.platforms.find((x) => x.name === platform);
  return p ? (p.fieldPriorities?.[field] ?? p.priority) : undefined;
}

/** An incoming value ranks with its source's priority; a source the configuration does not know, 0. */
function incomingRank(config: OracleConfig, platform: string, field: OracleField): number {
  return configured(config, platform, field) ?? 0;
}

/**
 * A held value ranks with its setter's priority in the current configuration
 * (re-ranking applies to stored values); nobody's value ranks below every
 * source; a hand edit in SQL ranks at the operator priority. A setter the configuration no longer names keeps the priority it
 * had: the README is silent there, and that is the documented choice of the
 * code (src/unifier/survivorship.ts, heldPriority).
 */
function heldRank(config: OracleConfig, setter: Setter | undefined, field: OracleField): number {
  if (!setter) return -Infinity;
  // Hand edits in SQL rank at the operator priority, whoever the database user was.
  if (setter.priority === null) return config.operatorPriority;
  return configured(config, setter.platform, field) ?? setter.priority;
}

export class SurvivorshipOracle {
  readonly customers = new Map<string, OracleCustomer>();
  readonly audit: OracleAudit[] = [];

  constructor(public config: OracleConfig) {}

  /** A customer that exists before the records (values nobody claimed unless `setBy` says). */
  seed(customer: { email: string; values: Partial<Record<OracleField, string | null>>; setBy?: Partial<Record<OracleField, Setter>> }): void {
    const email = customer.email.trim().toLowerCase();
    const values = Object.fromEntries(ORACLE_FIELDS.map((f) => [f, customer.values[f] ?? null])) as Record<OracleField, string | null>;
    this.customers.set(email, { email, values, setBy: { ...customer.setBy } });
  }

  apply(record: OracleRecord): void {
    const email = record.email.trim().toLowerCase();
    const changedBy = record.platform;
    const reason = record.position?.kind === 'operator' ? (record.position.reason ?? null) : null;
    let customer = this.customers.get(email);
    const creating = customer === undefined;
    if (!customer) {
      customer = { email, values: Object.fromEntries(ORACLE_FIELDS.map((f) => [f, null])) as Record<OracleField, string | null>, setBy: {} };
      this.customers.set(email, customer);
      // A creation is one audit row: the email, from nothing.
      this.audit.push({ email, field: 'email', old: null, new: email, changedBy, reason });
    }
    const time = record.eventTime.getTime();
    for (const field of ORACLE_FIELDS) {
      const incoming = record.values[field];
      // Empty never overwrites (and is not a value at all).
      if (incoming === undefined || incoming === null || isEmpty(incoming)) continue;
      const current = customer.values[field];
      const setter = customer.setBy[field];
      const rank = incomingRank(this.config, record.platform, field);
      const held = heldRank(this.config, setter, field);
      // An empty current value is filled by anyone; otherwise a higher priority wins, or an equal one strictly newer.
      const wins = isEmpty(current) || rank > held || (rank === held && setter !== undefined && time > setter.eventTime);
      if (!wins) continue;
      customer.setBy[field] = { platform: record.platform, priority: rank, eventTime: time };
      // An equal value only changes who holds it: no audit row.
      if (incoming === current) continue;
      if (!creating || this.config.logInitialValues === true) this.audit.push({ email, field, old: current, new: incoming, changedBy, reason });
      customer.values[field] = incoming;
    }
  }

  /** Each customer's audit trail, in order. */
  auditByEmail(): Map<string, OracleAudit[]> {
    const out = new Map<string, OracleAudit[]>();
    for (const row of this.audit) out.set(row.email, [...(out.get(row.email) ?? []), row]);
    return out;
  }
}

/** What the verifiers compare Postgres with: customers by email, and each one's audit trail (without reasons, as `readState` reads them). */
export function expectedState(records: readonly OracleRecord[], config: OracleConfig) {
  const oracle = new SurvivorshipOracle(config);
  for (const record of records) oracle.apply(record);
  const customers = [...oracle.customers.values()]
    .sort((a, b) => (a.email < b.email ? -1 : 1))
    .map((c) => ({ email: c.email, values: { ...c.values } as Record<string, string | null> }));
  const auditByEmail = new Map<string, { email: string; field: string; old: string | null; new: string | null; changedBy: string }[]>();
  for (const [email, trail] of oracle.auditByEmail()) {
    auditByEmail.set(email, trail.map((r) => ({ email: r.email, field: r.field, old: r.old, new: r.new, changedBy: r.changedBy })));
  }
  return { customers, auditByEmail };
}
