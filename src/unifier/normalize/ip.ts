import { isIP } from 'node:net';

/**
 * A registration IP must be a literal IPv4 (`203.0.113.7`, no leading zeros)
 * or IPv6 address (`2001:db8::1`, `::ffff:203.0.113.7`), after trimming.
 * IPv6 hex digits are lower-cased so one address is stored one way (a zone
 * id after `%` is kept as is). Anything else → undefined (`ip_invalid`).
 */
export function normalizeIp(raw: string): string | undefined {
  const value = raw.trim();
  const version = isIP(value);
  if (version === 4) return value;
  if (version !== 6) return undefined;
  const zone = value.indexOf('%');
  return zone === -1 ? value.toLowerCase() : value.slice(0, zone).toLowerCase() + value.slice(zone);
}
