import { app } from '@azure/functions';
import { TriageError } from '../shared/domain/errors';
import { authorized, jsonResponse, problem, problemResponse, apiAuthLevel } from './http-common';
import { getConfig } from './runtime';

/** Counts bytes as they stream and stops at the limit, so an oversized upload is never buffered whole. */
async function* limited(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncIterable<Uint8Array> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new TriageError('payload-too-large', `the upload exceeds ${maxBytes} bytes`);
    yield chunk;
  }
}

/**
 * The largest inventory upload: a 2.1-million-row Exchange CSV (`EmailAddress,SizeBytes`, ~40 bytes a row,
 * ~85 MB) with room to spare for longer addresses and extra columns.
 */
export const maxInventoryBytes = 256 * 1024 * 1024;

/** POST /api/inventories?orgId= — streams a CSV (EmailAddress[,SizeBytes]) into Blob, validating each row. */
export const importInventoryHandler = authorized('inventories:import', async (request, _context, caller) => {
  const maxBytes = Math.max(getConfig().maxBodyBytes, maxInventoryBytes);
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new TriageError('payload-too-large', `the upload is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const body = (request.body ?? (async function* () {})()) as AsyncIterable<Uint8Array>;
  const result = await caller.importInventory(
    request.query.get('orgId') ?? undefined,
    limited(body, maxBytes),
    {
      maxBytes,
    },
  );
  if (result.blobName === null) {
    const badRowCount = result.badRowCount ?? new Set(result.badRows.map((row) => row.line)).size;
    const errorCount = result.problemCount ?? result.badRows.length;
    return problemResponse(
      problem(400, `${badRowCount} bad row(s); nothing was stored`, {
        code: 'validation',
        errors: result.badRows.map((row) => ({
          field: `line ${row.line}${row.field ? `: ${row.field}` : ''}`,
          message: row.message,
        })),
        ...(errorCount > result.badRows.length ? { errorCount } : {}),
        ...({ badRows: result.badRows, badRowCount, rowCount: result.rowCount } as object),
      }),
    );
  }
  return jsonResponse(201, {
    blobName: result.blobName,
    rowCount: result.rowCount,
    badRows: result.badRows,
  });
});

app.http('importInventory', {
  route: 'inventories',
  methods: ['POST'],
  authLevel: apiAuthLevel,
  handler: importInventoryHandler,
});
