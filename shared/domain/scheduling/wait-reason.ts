/**
 * Why a claim waits, in words a requester can act on (SCHEDULING.md rule 3): "pool vm@uksouth is full:
 * 9,800 of 10,000 used; 3 health requests ahead". Numbers get a comma every three digits whatever the
 * machine's locale, so the same inputs always give the same text.
 */
import type { NoStartCause } from './start-times';

/** `12345.5` → `"12,345.5"`, independent of locale. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value) || (value > -1000 && value < 1000)) return String(value);
  const [whole, fraction] = Math.abs(value).toString().split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** "a", "a and b", "a, b and c". */
function listOf(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** "3 health and 1 government requests ahead", or "first in line". */
export function describeAhead(aheadInTierOrder: readonly { tier: string; count: number }[]): string {
  const parts = aheadInTierOrder.filter((a) => a.count > 0);
  if (parts.length === 0) return 'first in line';
  const total = parts.reduce((sum, a) => sum + a.count, 0);
  return `${listOf(parts.map((a) => `${formatCount(a.count)} ${a.tier}`))} request${total === 1 ? '' : 's'} ahead`;
}

/** What the capacity looks like now from the claim's served tier. */
export interface CapacityPicture {
  /** Names the capacity: `pool vm@uksouth`. */
  label: string;
  capacity: number;
  used: number;
  /** The tier the claim is served at and what that tier could take now. */
  tier: string;
  available: number;
  /** Unused reservations of higher tiers withheld from it, in tier order. */
  withheld: readonly { tier: string; amount: number }[];
}

/** "pool vm@uksouth is full: 9,800 of 10,000 used" (+ what reservations withhold), or "has room". */
export function describeCapacity(picture: CapacityPicture, quantity: number): string {
  const usage = `${formatCount(picture.used)} of ${formatCount(picture.capacity)} used`;
  if (picture.available >= quantity) return `${picture.label} has room: ${usage}`;
  const withheld = picture.withheld.filter((w) => w.amount > 0);
  const free = Math.max(0, picture.capacity - picture.used);
  if (withheld.length > 0 && free >= quantity) {
    const held = listOf(withheld.map((w) => `${formatCount(w.amount)} for ${w.tier}`));
    return `${picture.label} is full for ${picture.tier}: ${usage}, the rest reserved (${held})`;
  }
  return `${picture.label} is full: ${usage}`;
}

/** The whole reason: why there is no ETA (when there is none), the capacity, the claims ahead. */
export function describeWait(
  args: {
    picture: CapacityPicture;
    quantity: number;
    ahead: readonly { tier: string; count: number }[];
    cause: NoStartCause | null;
    /** The most the capacity is known to reach, now or by schedule. */
    maxCapacity: number;
  },
  describe: (picture: CapacityPicture, quantity: number) => string = describeCapacity,
): string {
  const parts: string[] = [];
  if (args.cause === 'never-fits') {
    parts.push(
      args.quantity > args.maxCapacity
        ? `no capacity is expected to free up: it asks for ${formatCount(args.quantity)}, more than ${args.picture.label} will have (at most ${formatCount(args.maxCapacity)})`
        : 'no capacity is expected to free up: no known release or capacity change makes room for it',
    );
  } else if (args.cause === 'behind-unserved') {
    parts.push(
      'no capacity is expected to free up for a request ahead of it, and the line is served in order',
    );
  }
  parts.push(describe(args.picture, args.quantity), describeAhead(args.ahead));
  return parts.join('; ');
}

/**
 * `describeCapacity`, remembered per picture and outcome: on a long line every claim served at one tier
 * shares the same few texts, and formatting them per claim would dominate the forecast.
 */
export function capacityDescriber(): (picture: CapacityPicture, quantity: number) => string {
  const texts = new Map<CapacityPicture, Map<string, string>>();
  return (picture, quantity) => {
    const free = picture.capacity - picture.used;
    const key = `${picture.available >= quantity}${free >= quantity}`;
    let byOutcome = texts.get(picture);
    if (!byOutcome) texts.set(picture, (byOutcome = new Map()));
    let text = byOutcome.get(key);
    if (text === undefined) byOutcome.set(key, (text = describeCapacity(picture, quantity)));
    return text;
  };
}
