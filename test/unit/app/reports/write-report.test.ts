import { parse } from 'csv-parse/sync';
import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { expectTriage, mailboxes, provision } from '../helpers';

async function reportText(t: ReturnType<typeof createTestApp>, id: string): Promise<string> {
  let text = '';
  for await (const chunk of await t.app.readReport(id)) text += Buffer.from(chunk).toString('utf8');
  return text;
}

describe('reports', () => {
  test('a finished migration gets its CSV, linked from its view, with every item once', async () => {
    const exec = new ScriptedExecutor((task) =>
      task.payload.address === 'evil@contoso.example'
        ? { ok: false, retryable: false, reason: '@SUM(1)' }
        : { ok: true },
    );
    const t = createTestApp({ executor: exec });
    // Intake refuses addresses that start a formula; a back-end's reason can still start one.
    const list = [...mailboxes(14), { address: 'evil@contoso.example' }];
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: list });
    await t.drain();
    await expectTriage(t.app.readReport(request.id), 'not-found');
    const done = t.ports.publisher.notifications.find(
      (n) => n.requestId === request.id && n.type === 'request.completed',
    )!;
    expect(await t.app.reportOnNotification(done)).toBe('written');
    expect(await t.app.reportOnNotification(done)).toBe('current');
    const rows = parse(await reportText(t, request.id)) as string[][];
    expect(rows[0]).toEqual(['EmailAddress', 'Status', 'Reason', 'Attempts', 'Batch', 'At']);
    expect(rows.slice(1).map((r) => r[0])).toEqual([
      ...mailboxes(14).map((m) => m.address),
      'evil@contoso.example',
    ]);
    expect(rows.at(-1)!.slice(1, 5)).toEqual(['failed', "'@SUM(1)", '1', '2']);
    const view = await t.app.getRequest(request.id);
    expect(view.report).toMatchObject({
      blobName: `${request.id}.csv`,
      url: `/api/requests/${request.id}/report`,
    });
  });

  test('a request that is not final gets none; a provisioning gets one row', async () => {
    const t = createTestApp();
    const { request } = await t.app.submitRequest(provision('o'));
    const queued = { ...t.ports.publisher.notifications[0]!, status: 'queued' as const };
    expect(await t.app.reportOnNotification(queued)).toBe('ignored');
    expect(await t.app.reportOnNotification({ not: 'a notification' })).toBe('ignored');
    await t.drain();
    const done = t.ports.publisher.notifications.find((n) => n.type === 'request.completed')!;
    expect(await t.app.reportOnNotification(done)).toBe('written');
    expect(parse(await reportText(t, request.id))).toEqual([
      ['Resource', 'Region', 'Quantity', 'Status', 'Reason', 'At'],
      ['vm', 'uksouth', '2', 'completed', '', expect.any(String)],
    ]);
  });
});
