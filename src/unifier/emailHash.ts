import { createHash } from 'node:crypto';

/** The suppression key of a normalized email: sha256, hex. The email itself is never stored for a forgotten person. */
export function emailHash(normalizedEmail: string): string {
  return createHash('sha256').update(normalizedEmail, 'utf8').digest('hex');
}
