import { HttpRequest, InvocationContext } from '@azure/functions';
import { createTestApp, type MemoryPublisher } from '../../support/in-memory-ports';
import { mailboxes, provision } from '../app/helpers';
import {
  header,
  healthModule,
  inventoriesApi,
  json,
  orgsApi,
  requestsApi,
  useHandlerApp,
} from './handler-harness';

const session = useHandlerApp(['o', 'nhs']);
let t: ReturnType<typeof createTestApp>;
beforeEach(() => {
  t = session.install();
});

const context = () => new InvocationContext({ functionName: 'test', logHandler: () => undefined });

function post(url: string, body: unknown, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/${url}`,
    headers: { 'content-type': 'application/json', authorization: session.authorization, ...headers },
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
}

/** A request as the library builds it, carrying the harness principal's token. */
const signed = (init: ConstructorParameters<typeof HttpRequest>[0]) =>
  new HttpRequest({
    ...init,
    headers: { authorization: session.authorization, ...(init.headers as Record<string, string>) },
  });

describe('HTTP handlers, called as the Functions library calls them', () => {
  test('POST /api/requests: 202 with Location and the accepted request', async () => {
    const response = await requestsApi.submitRequestHandler(post('requests', provision('o')), context());
    expect(response.status).toBe(202);
    const body = json(response);
    expect(body).toEqual({
      id: body.id,
      kind: 'provision',
      orgId: 'o',
      tier: 'standard',
      status: 'queued',
      warnings: ['organisation "o" is not in the registry: served at the default tier standard'],
    });
    expect(header(response, 'Location')).toBe(`/api/requests/${body.id}`);
    expect((t.ports.publisher as MemoryPublisher).queue).toHaveLength(1);
  });

  test('bad input: a problem+json naming the field; malformed JSON and a wrong content type too', async () => {
    const bad = await requestsApi.submitRequestHandler(
      post('requests', { ...provision('o'), tier: 'health' }),
      context(),
    );
    expect(bad.status).toBe(400);
    expect(header(bad, 'Content-Type')).toBe('application/problem+json');
    expect(json(bad).errors).toEqual([expect.objectContaining({ field: 'tier' })]);
    const malformed = await requestsApi.submitRequestHandler(post('requests', '{"kind":'), context());
    expect(json(malformed)).toMatchObject({ status: 400, errors: [{ field: '(body)' }] });
    const text = await requestsApi.submitRequestHandler(
      post('requests', 'x', { 'content-type': 'text/plain' }),
      context(),
    );
    expect(text.status).toBe(415);
    expect(t.ports.requests.requests.size).toBe(0);
  });

  test('GET /api/requests/{id}: 200 with history; unknown is a 404 problem', async () => {
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(3) });
    const get = (id: string) =>
      requestsApi.getRequestHandler(
        signed({ method: 'GET', url: `http://localhost/api/requests/${id}`, params: { id } }),
        context(),
      );
    const found = await get(request.id);
    expect(json(found)).toMatchObject({ id: request.id, status: 'queued', history: expect.any(Array) });
    const missing = await get('nope');
    expect(missing.status).toBe(404);
    expect(json(missing)).toMatchObject({ status: 404, code: 'not-found', instance: '/api/requests/nope' });
  });

  test('GET /api/requests/{id}/duplicates: the skipped mailboxes as CSV, the header alone when none', async () => {
    const first = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'o',
      mailboxes: [{ address: 'other@contoso.example' }, ...mailboxes(2)],
    });
    const second = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(4) });
    for (const id of [first.request.id, second.request.id, first.request.id]) {
      const index = t.ports.publisher.queue.findIndex((m) => m.messageId.startsWith(id));
      const [next] = t.ports.publisher.queue.splice(index, 1);
      if (next) await t.app.handleDelivery(next.message, t.deliveryOf(next.message, 1, next.messageId));
    }
    const get = async (id: string) => {
      const response = await requestsApi.readDuplicatesHandler(
        signed({ method: 'GET', url: `http://localhost/api/requests/${id}/duplicates`, params: { id } }),
        context(),
      );
      const chunks: Buffer[] = [];
      for await (const c of response.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
      return { response, text: Buffer.concat(chunks).toString('utf8') };
    };
    const { response, text } = await get(second.request.id);
    expect(response.headers).toMatchObject({ 'Content-Type': 'text/csv; charset=utf-8' });
    expect(text).toBe(
      'EmailAddress,HeldBy,HeldByStatus\r\n' +
        `user0@contoso.example,${first.request.id},running\r\n` +
        `user1@contoso.example,${first.request.id},running\r\n`,
    );
    expect((await get(first.request.id)).text).toBe('EmailAddress,HeldBy,HeldByStatus\r\n');
  });

  test('GET /api/requests: a repeated parameter fails validation', async () => {
    const list = await requestsApi.listRequestsHandler(
      signed({ method: 'GET', url: 'http://localhost/api/requests?orgId=a&orgId=b' }),
      context(),
    );
    expect(list.status).toBe(400);
    expect(json(list).errors).toEqual([expect.objectContaining({ field: 'orgId' })]);
  });

  test('POST cancel and retry map invalid transitions to 409', async () => {
    const { request } = await t.app.submitRequest(provision('o'));
    const call = (handler: typeof requestsApi.cancelRequestHandler, what: string) =>
      handler(
        signed({
          method: 'POST',
          url: `http://localhost/api/requests/${request.id}/${what}`,
          params: { id: request.id },
        }),
        context(),
      );
    expect((await call(requestsApi.retryRequestHandler, 'retry')).status).toBe(409);
    expect(json(await call(requestsApi.cancelRequestHandler, 'cancel'))).toMatchObject({
      status: 'cancelled',
    });
    expect((await call(requestsApi.cancelRequestHandler, 'cancel')).status).toBe(200);
  });

  test('PUT /api/orgs/{orgId} and GET: an unknown tier is a 400 naming it', async () => {
    const put = (body: unknown) =>
      orgsApi.upsertOrgHandler(
        signed({
          method: 'PUT',
          url: 'http://localhost/api/orgs/nhs',
          params: { orgId: 'nhs' },
          headers: { 'content-type': 'application/json' },
          body: { string: JSON.stringify(body) },
        }),
        context(),
      );
    expect((await put({ name: 'NHS', sector: 'health', tier: 'platinum' })).status).toBe(400);
    const noEvidence = await put({ name: 'NHS', sector: 'health', tier: 'health' });
    expect(json(noEvidence)).toMatchObject({ status: 400, errors: [{ field: 'evidence' }] });
    expect(
      json(await put({ name: 'NHS', sector: 'health', tier: 'health', evidence: 'ODS RX1' })),
    ).toMatchObject({
      tier: 'health',
      registered: true,
    });
    const got = await orgsApi.getOrgHandler(
      signed({ method: 'GET', url: 'http://localhost/api/orgs/nhs', params: { orgId: 'nhs' } }),
      context(),
    );
    expect(json(got)).toMatchObject({ orgId: 'nhs', tier: 'health', servedTier: 'health' });
    const audit = await orgsApi.getOrgAuditHandler(
      signed({
        method: 'GET',
        url: 'http://localhost/api/orgs/nhs/audit',
        params: { orgId: 'nhs' },
      }),
      context(),
    );
    expect(json(audit).items).toEqual([
      expect.objectContaining({
        action: 'registered',
        toTier: 'health',
        evidence: 'ODS RX1',
        actor: expect.any(String),
      }),
    ]);
  });

  test('POST /api/inventories: 201 with the blob name, or 400 listing each bad line', async () => {
    const upload = (csv: string) =>
      inventoriesApi.importInventoryHandler(
        signed({
          method: 'POST',
          url: 'http://localhost/api/inventories?orgId=o',
          headers: { 'content-type': 'text/csv' },
          body: { string: csv },
        }),
        context(),
      );
    const ok = await upload('EmailAddress\na@x.example\n');
    expect(ok.status).toBe(201);
    expect(json(ok)).toMatchObject({ blobName: expect.stringMatching(/^o\//), rowCount: 1 });
    const bad = await upload('EmailAddress\nnope\n');
    expect(bad.status).toBe(400);
    expect(json(bad).errors).toEqual([expect.objectContaining({ field: 'line 2: EmailAddress' })]);
  });

  test('GET /api/health: 200 when every probe passes, 503 naming the one that fails', async () => {
    const healthy = await healthModule.healthHandler(
      signed({ method: 'GET', url: 'http://localhost/api/health' }),
      context(),
    );
    expect(healthy.status).toBe(200);
    t.ctx.probes = [{ name: 'storage', check: async () => Promise.reject(new Error('down')) }];
    const degraded = await healthModule.healthHandler(
      signed({ method: 'GET', url: 'http://localhost/api/health' }),
      context(),
    );
    expect(degraded.status).toBe(503);
    expect(json(degraded)).toMatchObject({ status: 'degraded', checks: { storage: { ok: false } } });
  });
});
