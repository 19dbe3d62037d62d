import type { Owners } from '../config/watch-schema.js';

// Pure: who an alert is for. A customer's own owners (customers[].owners, or its cluster's, filled in when the
// config is loaded), else the audit's default (watch[].owners), else nobody. The first post of an alert and its
// escalation mention them; follow-ups and resolutions never do.

export const NO_OWNERS: Owners = { users: [], userGroups: [] };

const hasAny = (o: Owners | undefined): o is Owners => o !== undefined && o.users.length + o.userGroups.length > 0;

export function ownersOf(customer: { owners?: Owners } | undefined, audit: { owners?: Owners }): Owners {
  if (hasAny(customer?.owners)) return customer.owners;
  if (hasAny(audit.owners)) return audit.owners;
  return NO_OWNERS;
}

/** "<@U0BOB> <!subteam^S0SRE>": Slack mentions of the owners; '' for nobody. */
export function mentionsOf(owners: Owners): string {
  return [...owners.users.map((u) => `<@${u}>`), ...owners.userGroups.map((g) => `<!subteam^${g}>`)].join(' ');
}

interface OwnedConfig {
  customers: readonly { name: string; owners?: Owners }[];
  watch: readonly { customers: readonly string[]; owners?: Owners }[];
}

/**
 * Customers an alert would mention nobody for: watched by an audit, with no owners of their own, and one of the
 * audits that watch them has no default owners. A customer no audit watches gets no alerts, so it is not listed.
 */
export function unownedCustomers(config: OwnedConfig): string[] {
  return config.customers
    .filter((c) => {
      if (hasAny(c.owners)) return false;
      const audits = config.watch.filter((a) => a.customers.length === 0 || a.customers.includes(c.name));
      return audits.some((a) => !hasAny(a.owners));
    })
    .map((c) => c.name);
}

/** "2 customers have no owner: acme, bolt (alerts about them mention nobody)"; null when every customer has one. */
export function unownedLine(names: readonly string[], max = 20): string | null {
  if (names.length === 0) return null;
  const shown = names.slice(0, max).join(', ') + (names.length > max ? `, and ${names.length - max} more` : '');
  return `${names.length} customer${names.length === 1 ? ' has' : 's have'} no owner: ${shown} (alerts about them mention nobody)`;
}
