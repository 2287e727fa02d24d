/** Non-public IPv4 ranges: RFC 1918, loopback, link-local, CGNAT shared space. */
const PRIVATE_V4: readonly [number, number][] = [
  [ipv4('10.0.0.0')!, 8],
  [ipv4('172.16.0.0')!, 12],
  [ipv4('192.168.0.0')!, 16],
  [ipv4('127.0.0.0')!, 8],
  [ipv4('169.254.0.0')!, 16],
  [ipv4('100.64.0.0')!, 10],
];

/**
 * Whether a CIDR (or bare address) reaches beyond private, loopback and link-local space:
 * `0.0.0.0/0`, `::/0` and any public range are true, `10.0.0.0/8` or `fd00::/8` false.
 * Undefined when it is not an address.
 */
export function coversPublicAddresses(entry: string): boolean | undefined {
  const [address, bits, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  if (address.includes(':')) return coversPublicV6(address, bits);
  const ip = ipv4(address);
  const prefix = bits === undefined ? 32 : prefixOf(bits, 32);
  if (ip === undefined || prefix === undefined) return undefined;
  return !PRIVATE_V4.some(([net, len]) => prefix >= len && (len === 0 ? true : ip >>> (32 - len) === net >>> (32 - len)));
}

function coversPublicV6(address: string, bits: string | undefined): boolean | undefined {
  if (!/^[0-9a-f:.]+$/i.test(address) || (address.match(/::/g) ?? []).length > 1) return undefined;
  const prefix = bits === undefined ? 128 : prefixOf(bits, 128);
  if (prefix === undefined) return undefined;
  const first = address.startsWith('::') ? 0 : parseInt(address.split(':')[0], 16);
  if (Number.isNaN(first)) return undefined;
  const loopback = prefix === 128 && /^(0*:)*:?0*1$/.test(address.replace(/^::/, ':'));
  const uniqueLocal = prefix >= 7 && (first & 0xfe00) === 0xfc00;
  const linkLocal = prefix >= 10 && (first & 0xffc0) === 0xfe80;
  return !(loopback || uniqueLocal || linkLocal);
}

function prefixOf(bits: string, max: number): number | undefined {
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const n = Number(bits);
  return n <= max ? n : undefined;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}
