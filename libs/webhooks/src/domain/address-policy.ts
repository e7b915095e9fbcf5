import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may connect. A webhook URL is a request the server makes on a user's behalf, so
 * by default it may not reach loopback, private, link-local (cloud metadata at 169.254.169.254 and
 * fd00:ec2::254), carrier-grade NAT, multicast or reserved addresses. IPv6 forms that embed an IPv4
 * address (mapped, NAT64, 6to4, compatible) are refused outright rather than decoded: fail closed.
 * `allowed` (CAIRN_WEBHOOK_ALLOWED_HOSTS) lists host names, addresses or CIDRs exempt from this,
 * e.g. an in-cluster CI service.
 */
const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback and IPv4-compatible
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local (includes fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

// Two lists, because a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too, and
// ::ffff:0:0/96 is blocked here outright.
const BLOCKED = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [network, prefix] of BLOCKED_V4) BLOCKED.ipv4.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_V6) BLOCKED.ipv6.addSubnet(network, prefix, 'ipv6');

export class AddressPolicy {
  private readonly allowedNames = new Set<string>();
  private readonly allowedAddresses = new BlockList();

  constructor(allowed: readonly string[]) {
    for (const entry of allowed.map((e) => e.trim().toLowerCase()).filter(Boolean)) {
      const [network, prefix] = entry.split('/');
      const family = isIP(network ?? '');
      if (family !== 0 && prefix !== undefined) this.allowedAddresses.addSubnet(network as string, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      else if (family !== 0) this.allowedAddresses.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
      else this.allowedNames.add(entry);
    }
  }

  /** True when the URL's host name is listed as an exception: its addresses are not checked. */
  isAllowedName(hostname: string): boolean {
    return this.allowedNames.has(stripBrackets(hostname).toLowerCase());
  }

  /** Why `address` may not be connected to, or undefined if it may. */
  refusal(address: string): string | undefined {
    const bare = stripBrackets(address).replace(/%.*$/, '');
    const family = isIP(bare);
    if (family === 0) return `'${address}' is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedAddresses.check(bare, type)) return undefined;
    if (BLOCKED[type].check(bare, type))
      return `${bare} is a loopback, private, link-local, metadata or reserved address (list it in CAIRN_WEBHOOK_ALLOWED_HOSTS to allow it)`;
    return undefined;
  }
}

export const stripBrackets = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * The URL checks that need no network: scheme, host, credentials, IP literals and `localhost`.
 * The authoritative check runs at connection time on every attempt (see infra/http-sender.ts), so
 * a name that resolves to a private address later (DNS rebinding) is still refused.
 */
export function urlProblem(raw: string, options: { allowHttp: boolean; policy: AddressPolicy }): string | undefined {
  if (raw.length > 2048) return 'Webhook URL must be at most 2048 characters.';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `Invalid webhook URL '${raw}'.`;
  }
  const schemes = options.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return `Invalid webhook URL scheme '${url.protocol.replace(/:$/, '')}'. Allowed schemes are: ${schemes.map((s) => s.replace(/:$/, '')).join(', ')}${options.allowHttp ? '' : ' (set CAIRN_WEBHOOK_ALLOW_HTTP=true for http)'}.`;
  }
  if (!url.hostname) return `Webhook URL must include a hostname: '${raw}'.`;
  if (url.username || url.password) return 'Webhook URL must not contain credentials: use the webhook secret, which signs every delivery.';
  const host = stripBrackets(url.hostname).toLowerCase();
  if (options.policy.isAllowedName(host)) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost'))
    return `Webhook URL host '${host}' is loopback (list it in CAIRN_WEBHOOK_ALLOWED_HOSTS to allow it).`;
  if (isIP(host) !== 0) {
    const refusal = options.policy.refusal(host);
    if (refusal) return `Webhook URL refused: ${refusal}.`;
  } else if (/^[\d.]+$/.test(host) || /^0x/i.test(host)) {
    // Legacy numeric spellings (127.1, 0177.0.0.1) that resolvers map to addresses differently.
    return `Webhook URL host '${host}' is not a canonical IP address.`;
  }
  return undefined;
}
