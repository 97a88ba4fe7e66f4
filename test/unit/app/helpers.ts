import { isTriageError } from '../../../shared/domain/errors';
import { ScriptedExecutor, type createTestApp } from '../../support/in-memory-ports';

export type TestApp = ReturnType<typeof createTestApp>;

export const provision = (orgId: string) => ({
  kind: 'provision',
  orgId,
  resource: { type: 'vm', quantity: 2, region: 'uksouth' },
});

export const mailboxes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ address: `user${i}@contoso.example`, sizeBytes: i }));

/** Resolves when `promise` rejects with a TriageError of `code` (fails otherwise, showing what it got). */
export async function expectTriage(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTriageError(err) ? err.code : err).toBe(code);
}

export const deadLetterEvents = (t: TestApp, requestId: string) =>
  t.ports.events.events.filter((e) => e.requestId === requestId && e.type === 'dead-letter');

/** Delivery facts of a `migrate-standard` delivery. */
export const migrateStandard = (deliveryCount: number) => ({
  functionName: 'migrate-standard',
  tier: 'standard',
  deliveryCount,
  maxDeliveryCount: 10,
});

/** An executor that fails permanently for the addresses starting with `prefix` while `failing()` says so. */
export const failingFor = (prefix: string, failing: () => boolean) =>
  new ScriptedExecutor((task) =>
    failing() && String(task.payload.address).startsWith(prefix)
      ? { ok: false, retryable: false, reason: 'no' }
      : { ok: true },
  );
