import type { WebhookOutcome } from '../../../../shared/app/ports/webhooks';
import type { RequestNotification } from '../../../../shared/domain/notifications';
import { createTestApp } from '../../../support/in-memory-ports';
import { provision } from '../helpers';

class RecordingSender {
  sent: Array<{ url: string; notification: RequestNotification }> = [];
  constructor(private readonly answer: () => WebhookOutcome = () => ({ ok: true, status: 204 })) {}
  async send(url: string, notification: RequestNotification): Promise<WebhookOutcome> {
    this.sent.push({ url, notification });
    return this.answer();
  }
}

const delivery = (deliveryCount = 1) => ({
  functionName: 'deliver-webhooks',
  deliveryCount,
  maxDeliveryCount: 10,
});

describe('deliverWebhook', () => {
  test('every typed notification of a request reaches its organisation webhook, in order', async () => {
    const t = createTestApp({ settings: { webhookAllowPrivate: true } });
    const sender = new RecordingSender();
    t.ctx.ports.webhooks = sender;
    await t.app.upsertOrg('o', {
      name: 'O',
      sector: 's',
      tier: 'standard',
      notify: { webhookUrl: 'http://127.0.0.1:9/hook' },
    });
    const { request } = await t.app.submitRequest(provision('o'));
    await t.drain();
    await t.app.flushNotifications();
    for (const n of t.ports.publisher.notifications)
      expect(await t.app.deliverWebhook(n, delivery())).toBe('delivered');
    expect(sender.sent.map((s) => [s.url, s.notification.type])).toEqual([
      ['http://127.0.0.1:9/hook', 'request.received'],
      ['http://127.0.0.1:9/hook', 'request.queued'],
      ['http://127.0.0.1:9/hook', 'request.running'],
      ['http://127.0.0.1:9/hook', 'request.completed'],
    ]);
    expect(sender.sent[3]!.notification).toMatchObject({
      requestId: request.id,
      orgId: 'o',
      tier: 'standard',
      status: 'completed',
    });
  });

  test('no webhook: nothing sent; a receiver that refuses (4xx): completed; unavailable: thrown for redelivery', async () => {
    const t = createTestApp({ settings: { webhookAllowPrivate: true } });
    await t.app.submitRequest(provision('quiet'));
    await t.app.flushNotifications();
    const [first] = t.ports.publisher.notifications;
    const sender = new RecordingSender(() => ({
      ok: false,
      retryable: false,
      reason: 'the webhook answered 410',
    }));
    t.ctx.ports.webhooks = sender;
    expect(await t.app.deliverWebhook(first, delivery())).toBe('no-webhook');
    expect(sender.sent).toHaveLength(0);
    await t.app.upsertOrg('quiet', {
      name: 'Q',
      sector: 's',
      tier: 'standard',
      notify: { webhookUrl: 'http://127.0.0.1:9/h' },
    });
    expect(await t.app.deliverWebhook(first, delivery())).toBe('refused');
    t.ctx.ports.webhooks = new RecordingSender(() => ({
      ok: false,
      retryable: true,
      reason: 'the webhook answered 503',
    }));
    await expect(t.app.deliverWebhook(first, delivery(10))).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/503.*delivery 10 of 10; dead-lettering/),
    });
    expect(await t.app.deliverWebhook({ type: 'nonsense' }, delivery())).toBe('malformed');
  });

  test('without a signing secret webhooks are not sent unsigned: the delivery waits (retryable)', async () => {
    const t = createTestApp({ settings: { webhookAllowPrivate: true } });
    await t.app.upsertOrg('o', {
      name: 'O',
      sector: 's',
      tier: 'standard',
      notify: { webhookUrl: 'http://127.0.0.1:9/h' },
    });
    await t.app.submitRequest(provision('o'));
    await t.app.flushNotifications();
    await expect(t.app.deliverWebhook(t.ports.publisher.notifications[0], delivery())).rejects.toMatchObject({
      code: 'dependency-unavailable',
      retryable: true,
    });
  });
});
