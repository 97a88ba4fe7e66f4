import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { WebhookOutcome, WebhookSender } from '../app/ports/webhooks';
import { ensureError } from '../domain/errors';
import type { RequestNotification } from '../domain/notifications';
import { isAllowedAddress } from '../domain/webhooks';

export interface HttpWebhookSenderOptions {
  /** The HMAC-SHA256 key; the receiver checks `X-Triage-Signature: sha256=<hex of HMAC(body)>`. */
  secret: string;
  /** Deliver to http and private addresses (local stacks and tests). */
  allowPrivate: boolean;
  /** Per delivery, the response included. Default 10 s. */
  timeoutInMs?: number;
}

/** The signature header's value for a body: what a receiver recomputes with the shared secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * Delivers notifications as signed JSON POSTs. 2xx → delivered; 408, 429, 5xx, timeouts and connection
 * errors → retryable; other answers → permanent. Before each delivery the host name is resolved and every
 * address checked, so a public name pointing at a private address is refused unless private ones are allowed.
 */
export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: HttpWebhookSenderOptions) {}

  async send(url: string, notification: RequestNotification): Promise<WebhookOutcome> {
    const refused = await this.addressProblem(url);
    if (refused) return { ok: false, retryable: false, reason: refused };
    const body = JSON.stringify(notification);
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual', // a redirect could lead anywhere, private addresses included
        headers: {
          'content-type': 'application/json',
          'user-agent': 'triage-webhooks/1',
          'x-triage-event': notification.type,
          'x-triage-delivery': notification.eventId,
          'x-triage-signature': webhookSignature(this.options.secret, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutInMs ?? 10_000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { ok: true, status: response.status };
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      return { ok: false, retryable, reason: `the webhook answered ${response.status}` };
    } catch (err: unknown) {
      return {
        ok: false,
        retryable: true,
        reason: `the webhook did not answer: ${ensureError(err).message}`,
      };
    }
  }

  private async addressProblem(url: string): Promise<string | undefined> {
    if (this.options.allowPrivate) return undefined;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    try {
      const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
      const blocked = addresses.find((a) => !isAllowedAddress(a.address, false));
      return blocked ? `${host} resolves to a private address (${blocked.address})` : undefined;
    } catch (err: unknown) {
      return `${host} does not resolve: ${ensureError(err).message}`;
    }
  }
}
