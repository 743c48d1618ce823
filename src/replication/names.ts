import { CustsyncError } from '../runtime/errors.js';

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Slot and publication names custsync accepts (Postgres allows less for slots: lower case, digits, underscore). */
export function checkReplicationName(kind: 'slot' | 'publication', name: string): string {
  if (!NAME.test(name)) throw new CustsyncError('CUSTSYNC_USAGE', `${kind} name "${name}" must match ${NAME.source}`);
  return name;
}
