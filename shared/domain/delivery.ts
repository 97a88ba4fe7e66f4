/**
 * Service Bus delivery facts. Attempt numbers are not derived from them any more: a transient failure
 * schedules a successor carrying its attempt (see `back-off.ts`), so Service Bus's own redeliveries are
 * left for failures the protocol could not even schedule.
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
