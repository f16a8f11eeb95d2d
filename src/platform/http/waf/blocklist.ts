/**
 * IP/CIDR blocklist (SPEC §5), IPv4 and IPv6, loaded from a file: one address or CIDR per line,
 * `#` starts a comment, blank lines ignored. `reload()` swaps the list atomically; a file that
 * cannot be read leaves the previous list in place. Invalid lines are reported, not fatal.
 *
 * IPv4-mapped IPv6 client addresses (`::ffff:1.2.3.4`) are matched as their IPv4 address.
 */
import { readFile } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface BlocklistLoadResult {
  /** Entries now in force. */
  entries: number;
  /** Lines that were neither an address nor a CIDR (line number and text). */
  invalid: Array<{ line: number; text: string }>;
}

interface Compiled {
  exact: Set<string>;
  v4: Array<[ipaddr.IPv4, number]>;
  v6: Array<[ipaddr.IPv6, number]>;
  size: number;
}

const EMPTY: Compiled = { exact: new Set(), v4: [], v6: [], size: 0 };

export class IpBlocklist {
  private compiled: Compiled = EMPTY;

  /** @param file path of the list; without one the list is empty until `replace()` is called. */
  constructor(private readonly file?: string) {}

  /** A list built from entries in memory (tests, or entries from another source). */
  static fromEntries(entries: readonly string[]): IpBlocklist {
    const list = new IpBlocklist();
    list.replace(entries.join('\n'));
    return list;
  }

  get size(): number {
    return this.compiled.size;
  }

  /** (Re)reads the file. Throws when it cannot be read; the previous list then stays in force. */
  async reload(): Promise<BlocklistLoadResult> {
    if (!this.file) return { entries: this.compiled.size, invalid: [] };
    // The path comes from configuration, not from a request.
    // eslint-disable-next-line security/detect-non-literal-fs-filename
    const text = await readFile(this.file, 'utf8');
    return this.replace(text);
  }

  /** Replaces the list with the entries in `text` (file format). */
  replace(text: string): BlocklistLoadResult {
    const next: Compiled = { exact: new Set(), v4: [], v6: [], size: 0 };
    const invalid: BlocklistLoadResult['invalid'] = [];
    const lines = text.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const hash = lines[n]!.indexOf('#');
      const entry = (hash >= 0 ? lines[n]!.slice(0, hash) : lines[n]!).trim();
      if (entry === '') continue;
      if (!addEntry(next, entry)) invalid.push({ line: n + 1, text: entry.slice(0, 100) });
    }
    this.compiled = next;
    return { entries: next.size, invalid };
  }

  /** Whether `ip` (a client address as Fastify reports it) is on the list. Invalid input: false. */
  contains(ip: string): boolean {
    const address = parseClientAddress(ip);
    if (!address) return false;
    const { exact, v4, v6 } = this.compiled;
    if (exact.has(address.toNormalizedString())) return true;
    if (address.kind() === 'ipv4') {
      const a = address as ipaddr.IPv4;
      return v4.some((range) => a.match(range));
    }
    const a = address as ipaddr.IPv6;
    return v6.some((range) => a.match(range));
  }
}

function addEntry(list: Compiled, entry: string): boolean {
  try {
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) return false;
      const [range, bits] = ipaddr.parseCIDR(entry);
      const base =
        range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
          ? ([(range as ipaddr.IPv6).toIPv4Address(), bits - 96] as const)
          : ([range, bits] as const);
      if (base[0].kind() === 'ipv4') list.v4.push([base[0] as ipaddr.IPv4, base[1]]);
      else list.v6.push([base[0] as ipaddr.IPv6, base[1]]);
    } else {
      const address = parseClientAddress(entry);
      if (!address) return false;
      list.exact.add(address.toNormalizedString());
    }
    list.size++;
    return true;
  } catch {
    return false;
  }
}

/** Parses an address strictly (dotted-quad IPv4 or IPv6), mapping IPv4-mapped IPv6 to IPv4. */
export function parseClientAddress(ip: string): Address | null {
  const trimmed = ip.trim();
  const bare = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  const withoutZone = bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare;
  if (ipaddr.IPv4.isValidFourPartDecimal(withoutZone)) return ipaddr.IPv4.parse(withoutZone);
  if (!ipaddr.IPv6.isValid(withoutZone)) return null;
  try {
    return ipaddr.process(withoutZone);
  } catch {
    return null;
  }
}
