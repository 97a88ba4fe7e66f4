/**
 * Service Bus delivery facts and the attempt numbers the executor sees. Attempt numbers never repeat
 * across redeliveries, retries and replays: an executor may decide transient failures per attempt, so a
 * repeated number would fail the same way again.
 */

/** How many times Service Bus has delivered this message, and how many it allows (then dead-letters). */
export interface DeliveryFacts {
  /** 1-based, as Service Bus counts. */
  deliveryCount: number;
  maxDeliveryCount: number;
}

/** The last delivery: a retryable failure now dead-letters the message. */
export function isLastDelivery(delivery: DeliveryFacts): boolean {
  return delivery.deliveryCount >= delivery.maxDeliveryCount;
}

/**
 * The attempt number of a provisioning: a retry publishes a new message whose delivery count restarts at
 * 1, so each earlier retry round counts as a full set of deliveries.
 */
export function provisionAttempt(retryCount: number, delivery: DeliveryFacts): number {
  return retryCount * delivery.maxDeliveryCount + delivery.deliveryCount;
}

/**
 * The attempt number of one mailbox of a batch. `priorAttempts` are the attempts it used before a retry
 * re-opened it (its row says `retry`). An item with no row may have been tried by a batch message that was
 * dead-lettered and replayed: each earlier retry round counts as a full set of deliveries.
 */
export function itemAttempt(
  priorAttempts: number | undefined,
  retryCount: number,
  delivery: DeliveryFacts,
): number {
  return Math.max(priorAttempts ?? 0, retryCount * delivery.maxDeliveryCount) + delivery.deliveryCount;
}
