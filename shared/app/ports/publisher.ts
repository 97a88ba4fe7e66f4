import type { WorkMessage } from '../../domain/messages';
import type { RequestNotification } from '../../domain/notifications';

export interface OutgoingWorkMessage {
  message: WorkMessage;
  messageId: string;
  /** Not delivered before this time (a scheduled successor of a failed attempt); now when absent. */
  scheduledFor?: Date;
}

/** Publishes to Service Bus topics. Rejects when the broker does not accept (the caller decides about retry). */
export interface Publisher {
  publishWork(messages: OutgoingWorkMessage[]): Promise<void>;
  publishNotification(notification: RequestNotification): Promise<void>;
}

/** A dependency the health endpoint probes. */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<void>;
}
