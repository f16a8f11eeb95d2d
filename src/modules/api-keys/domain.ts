import ipaddr from 'ipaddr.js';

/** What an API key may be allowed to do. Sessions may do everything their role allows. */
export const API_KEY_SCOPES = [
  'account:read',
  'verifications:read',
  'verifications:write',
  'wallet:read',
  'wallet:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_PREFIX = 'nmk_live_';
/** The part of a key shown in lists: the fixed prefix and the first 8 random characters. */
export const visiblePrefix = (key: string) => key.slice(0, API_KEY_PREFIX.length + 8);

/** Parses a CIDR list ("203.0.113.0/24", a bare address = one host); throws a message on a bad entry. */
export function normalizeCidrs(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const text = entry.trim();
    try {
      if (text.includes('/')) {
        const [address, bits] = ipaddr.parseCIDR(text);
        return `${address.toString()}/${bits}`;
      }
      const address = ipaddr.parse(text);
      return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
    } catch {
      throw new Error(`"${text.slice(0, 60)}" is not an IP address or CIDR range.`);
    }
  });
}

export function ipAllowed(ip: string, cidrs: readonly string[] | null): boolean {
  if (!cidrs || cidrs.length === 0) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return cidrs.some((cidr) => {
    try {
      const range = ipaddr.parseCIDR(cidr);
      return address.kind() === range[0].kind() && address.match(range);
    } catch {
      return false;
    }
  });
}
