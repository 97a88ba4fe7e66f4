import fc from 'fast-check';
import {
  addDuplicates,
  decideClaims,
  duplicateSampleSize,
  withoutSkipped,
  type MailboxClaim,
} from '../../../shared/domain/duplicate-work';
import { mailboxKey } from '../../../shared/domain/inventory';
import { entriesPlanned } from '../../../shared/domain/request-lifecycle';
import { isTerminal, requestStatuses, type RequestStatus } from '../../../shared/domain/status';

const me = 'r-me';
/** A chunk of distinct mailboxes (mixed case: keys compare case-insensitively), and who holds which. */
const chunkWithClaims = fc
  .uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 0, maxLength: 60 })
  .chain((ids) =>
    fc.record({
      entries: fc.constant(ids.map((i) => ({ address: `User${i}@Contoso.example` }))),
      holders: fc.array(fc.option(fc.constantFrom(me, 'r-a', 'r-b', 'r-c', 'r-gone'), { nil: undefined }), {
        minLength: ids.length,
        maxLength: ids.length,
      }),
      statuses: fc.record({
        'r-a': fc.constantFrom(...requestStatuses),
        'r-b': fc.constantFrom(...requestStatuses),
        'r-c': fc.constantFrom(...requestStatuses),
      }),
    }),
  );

describe('duplicate work: the claims decision', () => {
  test('every claim of another request is taken over (holder finished or gone) or skipped (holder in flight), never both; own claims are neither', () => {
    fc.assert(
      fc.property(chunkWithClaims, ({ entries, holders, statuses }) => {
        const existing: MailboxClaim[] = entries.flatMap((e, i) =>
          holders[i] === undefined
            ? []
            : [{ key: mailboxKey(e.address), requestId: holders[i]!, etag: `e${i}` }],
        );
        const statusOf = new Map<string, RequestStatus | undefined>(Object.entries(statuses));
        statusOf.set('r-gone', undefined);
        const { takeOver, skipped } = decideClaims(me, entries, existing, statusOf);
        const taken = new Set(takeOver.map((c) => c.key));
        const left = new Set(skipped.map((s) => mailboxKey(s.address)));
        for (const claim of existing) {
          const status = statusOf.get(claim.requestId);
          if (claim.requestId === me) expect(taken.has(claim.key) || left.has(claim.key)).toBe(false);
          else if (status === undefined || isTerminal(status)) expect(taken.has(claim.key)).toBe(true);
          else expect(left.has(claim.key)).toBe(true);
          expect(taken.has(claim.key) && left.has(claim.key)).toBe(false);
        }
        // Skipped mailboxes are reported with the address as the inventory spells it and a holder in flight.
        for (const s of skipped) {
          expect(entries.some((e) => e.address === s.address)).toBe(true);
          expect(isTerminal(s.heldByStatus)).toBe(false);
        }
        // What is planned is the chunk without the skipped, in inventory order.
        const planned = withoutSkipped(entries, skipped);
        expect(planned.length + skipped.length).toBe(entries.length);
        expect(planned).toEqual(entries.filter((e) => !left.has(mailboxKey(e.address))));
      }),
    );
  });

  test('the summary counts every skipped mailbox across chunks, names a bounded sample and the holders once each', () => {
    const skippedChunk = fc.array(
      fc.record({
        address: fc.emailAddress(),
        heldBy: fc.constantFrom('r-a', 'r-b', 'r-c'),
        heldByStatus: fc.constant('running' as const),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(fc.array(skippedChunk, { maxLength: 6 }), (chunks) => {
        const summary = chunks.reduce(addDuplicates, undefined);
        const all = chunks.flat();
        if (all.length === 0) return expect(summary).toBeUndefined();
        expect(summary!.skipped).toBe(all.length);
        expect(summary!.sample).toEqual(all.slice(0, duplicateSampleSize));
        expect(new Set(summary!.heldBy).size).toBe(summary!.heldBy.length);
        expect(new Set(summary!.heldBy)).toEqual(new Set(all.map((s) => s.heldBy)));
      }),
    );
  });

  test('entries planned grow with every chunk, even one whose mailboxes were all skipped', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { maxLength: 10 }), (chunks) => {
        let record: Parameters<typeof entriesPlanned>[0] = {};
        let before = 0;
        for (const [planned, skipped] of chunks) {
          if (planned + skipped === 0) continue; // a chunk reads at least one entry
          record = {
            planning: { batches: 0, mailboxes: (record.planning?.mailboxes ?? 0) + planned },
            duplicates: addDuplicates(
              record.duplicates,
              Array.from({ length: skipped }, (_, i) => ({
                address: `s${i}@x`,
                heldBy: 'r-a',
                heldByStatus: 'running' as const,
              })),
            ),
          };
          expect(entriesPlanned(record)).toBe(before + planned + skipped);
          before = entriesPlanned(record);
        }
      }),
    );
  });
});
