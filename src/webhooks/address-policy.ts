import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// The SSRF control of webhooks (ICS_WEBHOOK_DENY_CIDRS): address ranges that a notification must
// never reach. It is checked on the addresses the URL's host name RESOLVES to, at connection time
// (the connection goes to an address that was checked, so a DNS answer that changes between a check
// and the connect cannot slip past), and on literal IP hosts before connecting.

/** Parses `10.0.0.0/8, 169.254.0.0/16, ::1/128, 192.0.2.7`; the problems, if any, name each entry. */
export function parseCidrs(text: string | undefined): { cidrs: string[]; problems: string[] } {
  const cidrs: string[] = [];
  const problems: string[] = [];
  for (const part of (text ?? '').split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [address, bits, extra] = part.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(String(prefix)) || prefix > max) {
      problems.push(`'${part}' is not an IP address or CIDR range`);
      continue;
    }
    cidrs.push(`${address}/${prefix}`);
  }
  return { cidrs, problems };
}

/** An address that the deny-list refuses. */
export class DeniedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which ICS_WEBHOOK_DENY_CIDRS refuses`);
    this.name = 'DeniedAddressError';
  }
}

export class AddressPolicy {
  readonly #blocked = new BlockList();
  readonly #empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [address, prefix] = c.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      this.#blocked.addSubnet(address, Number(prefix), type);
    }
    this.#empty = cidrs.length === 0;
  }

  denies(address: string): boolean {
    if (this.#empty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it maps.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.#blocked.check(mapped[1], 'ipv4') || this.#blocked.check(address, 'ipv6');
    return this.#blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Throws DeniedAddressError for a literal IP host that the list refuses (these skip DNS). */
  checkLiteral(hostname: string): void {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && this.denies(host)) throw new DeniedAddressError(hostname, host);
  }

  /** A `lookup` for node:net that resolves as usual and refuses when any address is denied. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const denied = addresses.find((a) => this.denies(a.address));
      if (denied) return callback(new DeniedAddressError(hostname, denied.address), '', 0);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      return callback(null, first.address, first.family);
    });
  };
}
