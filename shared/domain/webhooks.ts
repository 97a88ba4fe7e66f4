/**
 * Which webhook URLs an organisation may register: `https` to a public address, unless the deployment
 * allows private ones (`TRIAGE_WEBHOOK_ALLOW_PRIVATE=true`, the local default, so tests can use 127.0.0.1),
 * which also accepts `http`. Any other scheme is always refused. Names are checked here as far as a pure
 * function can (IP literals, local names); the sender re-checks the addresses a name resolves to.
 */

const blockedNames = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** True for an IPv4 address in a loopback, private, link-local, CGNAT, multicast or reserved range. */
export function isPrivateIpv4(address: string): boolean {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return false;
  const [a, b] = parts as [number, number, number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** True for an IPv6 loopback, unspecified, unique-local, link-local or IPv4-mapped private address. */
export function isPrivateIpv6(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === '::1' || a === '::') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isPrivateIpv4(mapped[1]!);
  return /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
}

const isIpv4 = (host: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(host);

/** Whether the sender may deliver to this resolved address. */
export function isAllowedAddress(address: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  return isIpv4(address) ? !isPrivateIpv4(address) : !isPrivateIpv6(address);
}

/** Why a webhook URL is refused, or undefined when it is acceptable. */
export function webhookUrlProblem(text: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    return allowPrivate ? 'must use https or http' : 'must use https';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIpv4(host) ? isPrivateIpv4(host) : host.includes(':') ? isPrivateIpv6(host) : false) {
    return 'must point to a public address';
  }
  if (!host.includes('.') || blockedNames.test(host)) return 'must point to a public address';
  return undefined;
}
