import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookSender, webhookSignature } from '../../shared/adapters/http-webhook-sender';
import type { RequestNotification } from '../../shared/domain/notifications';

const notification: RequestNotification = {
  schemaVersion: 1,
  type: 'request.deferred',
  requestId: 'r1',
  orgId: 'o',
  tier: 'standard',
  status: 'deferred',
  position: 7,
  eta: '2026-12-01T12:00:00.000Z',
  reason: 'pool vm@uksouth is full',
  at: '2026-12-01T10:00:00.000Z',
  eventId: 'e1',
};

let server: Server;
let url: string;
let answer = 204;
const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('HttpWebhookSender against a real HTTP server', () => {
  const secret = 'a-test-signing-secret';

  test('POSTs the JSON body signed with HMAC-SHA256 of exactly that body', async () => {
    answer = 204;
    const sender = new HttpWebhookSender({ secret, allowPrivate: true });
    expect(await sender.send(url, notification)).toEqual({ ok: true, status: 204 });
    const last = received.at(-1)!;
    expect(JSON.parse(last.body)).toEqual(notification);
    expect(last.headers['x-triage-signature']).toBe(webhookSignature(secret, last.body));
    expect(last.headers['x-triage-event']).toBe('request.deferred');
    expect(last.headers['content-type']).toBe('application/json');
  });

  test('5xx and 429 are retryable; other 4xx are permanent; no answer is retryable', async () => {
    const sender = new HttpWebhookSender({ secret, allowPrivate: true, timeoutInMs: 2000 });
    answer = 503;
    expect(await sender.send(url, notification)).toMatchObject({ ok: false, retryable: true });
    answer = 429;
    expect(await sender.send(url, notification)).toMatchObject({ ok: false, retryable: true });
    answer = 410;
    expect(await sender.send(url, notification)).toMatchObject({ ok: false, retryable: false });
    expect(await sender.send('http://127.0.0.1:1/closed', notification)).toMatchObject({
      ok: false,
      retryable: true,
    });
  });

  test('without allowPrivate a loopback address is refused before anything is sent', async () => {
    const before = received.length;
    const sender = new HttpWebhookSender({ secret, allowPrivate: false });
    expect(await sender.send(url, notification)).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/private address/),
    });
    expect(await sender.send('https://localhost:1/hook', notification)).toMatchObject({
      ok: false,
      retryable: false,
    });
    expect(received.length).toBe(before);
  });
});
