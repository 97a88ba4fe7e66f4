import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { batchLabel, batchPartitionKey, messageIds, splitIntoBatches } from '../../shared/domain/batches';
import { ensureError, isTriageError, TriageError } from '../../shared/domain/errors';
import { problemFromError } from '../../functions/problem-details';
import { parseOrThrow, submitRequestSchema } from '../../shared/domain/requests';
import {
  assertTransition,
  canTransition,
  finalStatusFor,
  isTerminal,
  requestStatuses,
} from '../../shared/domain/status';
import { workMessageSchema } from '../../shared/domain/messages';

function fieldsOf(body: unknown): string[] {
  try {
    parseOrThrow(submitRequestSchema, body, 'request');
  } catch (err) {
    if (isTriageError(err, 'validation')) return err.fields.map((f) => f.field);
    throw err;
  }
  return [];
}

describe('request schemas', () => {
  test('accept a provisioning request and both migration forms', () => {
    expect(
      fieldsOf({
        kind: 'provision',
        orgId: 'org-1',
        resource: { type: 'vm', quantity: 3, region: 'uksouth' },
      }),
    ).toEqual([]);
    expect(
      fieldsOf({ kind: 'migrate', orgId: 'org-1', mailboxes: [{ address: 'a@b.example', sizeBytes: 10 }] }),
    ).toEqual([]);
    expect(fieldsOf({ kind: 'migrate', orgId: 'org-1', inventory: 'inventories/org-1/x.ndjson' })).toEqual(
      [],
    );
  });

  test.each([
    [
      'a tier in the body',
      { kind: 'provision', orgId: 'o', tier: 'health', resource: { type: 'vm', quantity: 1, region: 'r' } },
      'tier',
    ],
    ['an unknown kind', { kind: 'delete', orgId: 'o' }, 'kind'],
    [
      'a negative quantity',
      { kind: 'provision', orgId: 'o', resource: { type: 'vm', quantity: -1, region: 'r' } },
      'resource.quantity',
    ],
    [
      'a huge quantity',
      { kind: 'provision', orgId: 'o', resource: { type: 'vm', quantity: 1e12, region: 'r' } },
      'resource.quantity',
    ],
    [
      'a string quantity',
      { kind: 'provision', orgId: 'o', resource: { type: 'vm', quantity: '3', region: 'r' } },
      'resource.quantity',
    ],
    [
      'a quote in the orgId',
      { kind: 'provision', orgId: "o' or 1 eq 1", resource: { type: 'vm', quantity: 1, region: 'r' } },
      'orgId',
    ],
    [
      'a control character in the orgId',
      { kind: 'provision', orgId: 'o\u0000x', resource: { type: 'vm', quantity: 1, region: 'r' } },
      'orgId',
    ],
    [
      'a bad mailbox address',
      { kind: 'migrate', orgId: 'o', mailboxes: [{ address: 'nope' }] },
      'mailboxes.0.address',
    ],
    [
      'both mailboxes and inventory',
      { kind: 'migrate', orgId: 'o', mailboxes: [{ address: 'a@b.example' }], inventory: 'x/y' },
      'inventory',
    ],
    ['neither mailboxes nor inventory', { kind: 'migrate', orgId: 'o' }, 'mailboxes'],
    [
      'a mailbox listed twice (case-insensitive)',
      {
        kind: 'migrate',
        orgId: 'o',
        mailboxes: [{ address: 'Ann@b.example' }, { address: 'c@b.example' }, { address: 'ann@B.EXAMPLE' }],
      },
      'mailboxes.2.address',
    ],
    [
      'an address longer than 254 characters',
      {
        kind: 'migrate',
        orgId: 'o',
        mailboxes: [{ address: `a@${`${'c'.repeat(60)}.`.repeat(5)}example` }],
      },
      'mailboxes.0.address',
    ],
    [
      'an address with a quoted local part',
      { kind: 'migrate', orgId: 'o', mailboxes: [{ address: '"a b"@c.example' }] },
      'mailboxes.0.address',
    ],
    [
      'a path traversal inventory',
      { kind: 'migrate', orgId: 'o', inventory: 'inventories/../secrets' },
      'inventory',
    ],
  ])('reject %s, naming the field', (_name, body, field) => {
    expect(fieldsOf(body)).toContain(field);
  });

  test('a duplicate mailbox is reported at its own index, naming the first', () => {
    const body = {
      kind: 'migrate',
      orgId: 'o',
      mailboxes: [{ address: 'a@b.example' }, { address: 'A@B.example' }],
    };
    expect(() => parseOrThrow(submitRequestSchema, body, 'request')).toThrow(
      /mailboxes\.1\.address: duplicate address \(first at index 0\)/,
    );
  });

  test('work messages carry a schema version and deterministic ids', () => {
    expect(
      workMessageSchema.safeParse({
        schemaVersion: 1,
        kind: 'migrate-batch',
        requestId: 'r1',
        orgId: 'o',
        tier: 'health',
        batchNumber: 7,
        batchCount: 9,
      }).success,
    ).toBe(true);
    expect(
      workMessageSchema.safeParse({
        schemaVersion: 2,
        kind: 'provision',
        requestId: 'r1',
        orgId: 'o',
        tier: 'health',
      }).success,
    ).toBe(false);
    expect(messageIds.request('r1')).toBe('r1');
    expect(messageIds.batch('r1', 7)).toBe('r1:batch:0007');
    expect(batchLabel(12)).toBe('batch-0012');
    expect(batchPartitionKey('r1', 3)).toBe('r1-b0003');
  });
});

describe('status machine', () => {
  test('follows received → queued → running → final, and nothing leaves completed or cancelled', () => {
    expect(canTransition('received', 'queued')).toBe(true);
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('running', 'completed')).toBe(true);
    expect(canTransition('queued', 'deferred')).toBe(true);
    for (const to of requestStatuses) {
      expect(canTransition('completed', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
    expect(() => assertTransition('completed', 'running')).toThrow(
      expect.objectContaining({ code: 'invalid-transition', retryable: false }),
    );
    expect(isTerminal('completed-with-errors')).toBe(true);
    expect(isTerminal('deferred')).toBe(false);
  });

  test('scheduled sits between queued and running: planned onto days, deferred while it has none, never back', () => {
    expect(canTransition('queued', 'scheduled')).toBe(true);
    expect(canTransition('scheduled', 'running')).toBe(true);
    expect(canTransition('scheduled', 'deferred')).toBe(true);
    expect(canTransition('deferred', 'scheduled')).toBe(true);
    expect(canTransition('scheduled', 'cancelled')).toBe(true);
    expect(canTransition('running', 'scheduled')).toBe(false);
    expect(canTransition('scheduled', 'queued')).toBe(false);
    expect(isTerminal('scheduled')).toBe(false);
    // Admission and preemption: deferred ⇄ queued; started work is never pushed back.
    expect(canTransition('deferred', 'queued')).toBe(true);
    expect(canTransition('queued', 'deferred')).toBe(true);
    expect(canTransition('running', 'deferred')).toBe(false);
  });

  test('final status from counts', () => {
    expect(finalStatusFor({ succeeded: 5, failed: 0 })).toBe('completed');
    expect(finalStatusFor({ succeeded: 4, failed: 1 })).toBe('completed-with-errors');
    expect(finalStatusFor({ succeeded: 0, failed: 3 })).toBe('failed');
  });
});

describe('batch splitting', () => {
  test('every item lands in exactly one batch, in order, none larger than the size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 500 }),
        fc.integer({ min: 1, max: 120 }),
        (items, size) => {
          const batches = splitIntoBatches(items, size);
          expect(batches.flatMap((b) => b.items)).toEqual(items);
          expect(batches.every((b) => b.items.length <= size && b.items.length > 0)).toBe(true);
          expect(batches.map((b) => b.batchNumber)).toEqual(batches.map((_, i) => i + 1));
        },
      ),
    );
  });
  test('rejects a non-positive size', () => {
    expect(() => splitIntoBatches([1], 0)).toThrow(RangeError);
  });
});

describe('errors and problems', () => {
  test('TriageError carries a code and a retryable bit; ensureError normalises anything', () => {
    expect(new TriageError('dependency-unavailable', 'x').retryable).toBe(true);
    expect(new TriageError('validation', 'x').retryable).toBe(false);
    expect(ensureError('boom').message).toContain('boom');
    expect(ensureError({ message: 'obj' }).message).toBe('obj');
    // An Error from another realm (a vm context, as jest's sandbox is) is kept as it is, not wrapped.
    const foreign: unknown = runInNewContext('new TypeError("elsewhere")');
    expect(ensureError(foreign)).toBe(foreign);
    expect(ensureError(circular()).message).toMatch(/non-error thrown/);
    const e = new Error('e');
    expect(ensureError(e)).toBe(e);
    expect(isTriageError({ name: 'TriageError', code: 'conflict' }, 'conflict')).toBe(true);
  });

  test('problem details name fields and hide unexpected errors', () => {
    const p = problemFromError(
      new TriageError('validation', 'bad', { fields: [{ field: 'orgId', message: 'm' }] }),
      '/api/requests',
    );
    expect(p).toMatchObject({
      status: 400,
      code: 'validation',
      instance: '/api/requests',
      errors: [{ field: 'orgId' }],
    });
    expect(problemFromError(new TriageError('payload-too-large', 'big')).status).toBe(413);
    const hidden = problemFromError(new Error('secret connection string'));
    expect(hidden.status).toBe(500);
    expect(JSON.stringify(hidden)).not.toContain('secret');
  });
});

function circular(): unknown {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}
