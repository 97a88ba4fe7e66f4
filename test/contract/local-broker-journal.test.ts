/**
 * The broker journal's frames (journal.ts), with fast-check: what is encoded decodes back whole and in
 * order, and a journal cut anywhere — a crash mid-write — decodes to an intact prefix of the records,
 * never to a damaged one.
 */
import fc from 'fast-check';
import { decodeFrames, encodeFrame, type JournalRecord } from '../../local/servicebus/journal';

const record: fc.Arbitrary<JournalRecord> = fc.record(
  {
    header: fc.dictionary(
      fc.string({ maxLength: 8 }),
      fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 6 },
    ),
    payload: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  },
  { requiredKeys: ['header'] },
);

test('frames decode back to the records, in order', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 30 }), (records) => {
      const data = Buffer.concat(records.map(encodeFrame));
      const decoded = decodeFrames(data);
      expect(decoded.validLength).toBe(data.length);
      expect(decoded.records).toEqual(records);
    }),
  );
});

test('a journal cut at any byte decodes to a whole prefix of its records', () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.nat(), (records, cutSeed) => {
      const frames = records.map(encodeFrame);
      const data = Buffer.concat(frames);
      const cut = cutSeed % (data.length + 1);
      const decoded = decodeFrames(data.subarray(0, cut));
      expect(decoded.records).toEqual(records.slice(0, decoded.records.length));
      const prefixLength = frames.slice(0, decoded.records.length).reduce((sum, f) => sum + f.length, 0);
      expect(decoded.validLength).toBe(prefixLength);
      expect(cut - decoded.validLength).toBeLessThan(frames[decoded.records.length]?.length ?? 1);
    }),
  );
});

test('a flipped byte ends the replay at the damaged frame', () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 2, maxLength: 10 }), fc.nat(), (records, where) => {
      const frames = records.map(encodeFrame);
      const data = Buffer.concat(frames);
      const index = where % data.length;
      const damaged = Buffer.from(data);
      damaged[index] = (damaged[index] ?? 0) ^ 0xff;
      const decoded = decodeFrames(damaged);
      let start = 0;
      let frame = 0;
      while (start + (frames[frame]?.length ?? 0) <= index) start += frames[frame++]?.length ?? 0;
      expect(decoded.records.length).toBeLessThanOrEqual(frame);
      expect(decoded.records).toEqual(records.slice(0, decoded.records.length));
    }),
  );
});
