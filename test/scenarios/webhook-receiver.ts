import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestNotification } from '../../shared/domain/notifications';

/** One delivery as a receiver saw it: the event, whether its signature checked out, and when it came. */
export interface ReceivedWebhook {
  event: RequestNotification;
  signatureValid: boolean;
  atMs: number;
}

/** A webhook receiver on 127.0.0.1 that checks each delivery's HMAC signature, as a requester's would. */
export async function startWebhookReceiver(secret: string): Promise<{
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-triage-signature'] ?? ''));
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      try {
        received.push({
          event: JSON.parse(body.toString('utf8')) as RequestNotification,
          signatureValid,
          atMs: Date.now(),
        });
        res.statusCode = 204;
      } catch {
        res.statusCode = 400;
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/triage`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
