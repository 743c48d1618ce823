import type { PlatformSpec } from '../../helpers/daemon.js';
import type { FaultTopics } from './messages.js';

/**
 * The platforms of a fault run: distinct priorities, per-field overrides and
 * one tie (erp and shop, where the newer event wins), so that conflicts
 * inside one customer's partition exercise every survivorship rule. The
 * generic topic carries crm, erp, shop and support (named in the payload);
 * hotmart, stripe and kiwify have their own topics and formats.
 */
export const GENERIC_PLATFORMS = ['crm', 'erp', 'shop', 'support'] as const;

export function faultPlatforms(topics: FaultTopics): PlatformSpec[] {
  return [
    { name: 'crm', mapper: 'generic', priority: 70, topics: [topics.generic], fieldPriorities: { phone_local_code: 20, phone_number: 20 } },
    { name: 'erp', mapper: 'generic', priority: 55, topics: [], fieldPriorities: { name: 90, document_type: 90, document_number: 90 } },
    { name: 'shop', mapper: 'generic', priority: 55, topics: [] },
    { name: 'support', mapper: 'generic', priority: 30, topics: [], fieldPriorities: { phone_local_code: 80, phone_number: 80, city: 75 } },
    { name: 'stripe', mapper: 'stripe', priority: 60, topics: [topics.stripe], fieldPriorities: { phone_local_code: 10, phone_number: 10 } },
    { name: 'hotmart', mapper: 'hotmart', priority: 50, topics: [topics.hotmart] },
    { name: 'kiwify', mapper: 'kiwify', priority: 40, topics: [topics.kiwify], fieldPriorities: { ip: 95 } },
  ];
}

/** Which platform (for non-generic topics) and mapper read a topic. */
export function routeOf(platforms: readonly PlatformSpec[], topic: string): { platform: string; mapper: string } {
  const owner = platforms.find((p) => p.topics.includes(topic));
  if (!owner) throw new Error(`no platform reads ${topic}`);
  return { platform: owner.name, mapper: owner.mapper };
}
