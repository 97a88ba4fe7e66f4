import type { RequestNotification } from '../../domain/notifications';

/** How a webhook delivery ended: `retryable` decides between "redeliver later" and "give up on this one". */
export type WebhookOutcome = { ok: true; status: number } | { ok: false; retryable: boolean; reason: string };

/** POSTs notifications to an organisation's webhook, signed. Never throws for HTTP or network failures. */
export interface WebhookSender {
  send(url: string, notification: RequestNotification): Promise<WebhookOutcome>;
}
