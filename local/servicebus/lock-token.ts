import { randomBytes } from 'node:crypto';

/**
 * Lock tokens. Service Bus sends a lock token as the delivery tag in .NET GUID byte order (the
 * first three groups little-endian), while `$management` requests carry it as an RFC 4122 UUID.
 * The broker keys locks by the RFC string form, which is what the SDK shows as `lockToken`.
 */
export interface LockToken {
  /** RFC 4122 string form, e.g. `0f8fad5b-d9cb-469f-a165-70867728950e`. */
  text: string;
  /** The delivery tag: the same 16 bytes in .NET GUID order. */
  deliveryTag: Buffer;
  /** The 16 bytes in RFC order, as a `$management` response carries them. */
  rfcBytes: Buffer;
}

export function newLockToken(): LockToken {
  const rfcBytes = randomBytes(16);
  // Version 4, variant 1, so the token looks like any other GUID.
  rfcBytes[6] = ((rfcBytes[6] ?? 0) & 0x0f) | 0x40;
  rfcBytes[8] = ((rfcBytes[8] ?? 0) & 0x3f) | 0x80;
  return { text: uuidBytesToText(rfcBytes), deliveryTag: toDotNetOrder(rfcBytes), rfcBytes };
}

/** RFC-order bytes → `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function uuidBytesToText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Swaps the byte order of the first three GUID groups (the conversion is its own inverse). */
export function toDotNetOrder(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  out[0] = bytes[3] ?? 0;
  out[1] = bytes[2] ?? 0;
  out[2] = bytes[1] ?? 0;
  out[3] = bytes[0] ?? 0;
  out[4] = bytes[5] ?? 0;
  out[5] = bytes[4] ?? 0;
  out[6] = bytes[7] ?? 0;
  out[7] = bytes[6] ?? 0;
  return out;
}
