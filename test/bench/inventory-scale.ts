/**
 * The 2.1-million-row inventory (issue 12, item 9): an upload streamed into Blob through the adapter the
 * Function uses, then its planning chunk by chunk through the app's delivery protocol, both on Azurite.
 * Reports the time of each phase, the longest planning invocation (it must stay far below one lock period,
 * PT1M), and the peak resident memory of this process above its baseline — the worker's share of the
 * host's memory (the local host buffers an HTTP body before the worker sees it; see the README).
 * `benchInventoryScale` is for test/bench/run.ts; `node dist/test/bench/inventory-scale.js` runs it alone
 * (`BENCH_ROWS` changes the size).
 */
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../local/azurite';
import { BlobArtifactStore } from '../../shared/adapters/blob-artifact-store';
import { createTableStores } from '../../shared/adapters/table-stores';
import { createApp } from '../../shared/app/index';
import type { OutgoingWorkMessage, Publisher } from '../../shared/app/ports/publisher';
import { topology } from '../../shared/topology';
import { authOffPrincipal } from '../../shared/domain/identity/principal';
import { refusingTokenVerifier } from '../support/in-memory-ports';

export interface InventoryScaleResult {
  rows: number;
  csvBytes: number;
  uploadSeconds: number;
  uploadPeakMiB: number;
  planningSeconds: number;
  planningInvocations: number;
  longestInvocationSeconds: number;
  planningPeakMiB: number;
  batches: number;
  /** Where the planning's time went, in seconds: claiming mailboxes, writing manifests, batch rows. */
  planningPhases: { claimsSeconds: number; manifestsSeconds: number; batchRowsSeconds: number };
}

/** Adds the wall time while at least one call of `method` runs (manifests are written 8 at once). */
function timed<T extends object>(target: T, method: keyof T, total: { ms: number }): void {
  const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  let inFlight = 0;
  let since = 0;
  (target as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
    if (inFlight++ === 0) since = Date.now();
    try {
      return await original.apply(target, args);
    } finally {
      if (--inFlight === 0) total.ms += Date.now() - since;
    }
  };
}

/** Samples this process's resident memory every 20 ms; `stop` gives the peak above the baseline in MiB. */
function memoryPeak(): { stop(): number } {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return Math.round((peak - baseline) / (1024 * 1024));
    },
  };
}

/** A 2.1M-row Exchange CSV, generated as it is read (never held whole). */
async function* csvRows(rows: number, counter: { bytes: number }): AsyncIterable<Uint8Array> {
  let chunk = 'EmailAddress,SizeBytes\n';
  for (let i = 0; i < rows; i++) {
    chunk += `user${i}@org-${i % 25_000}.nhs.example,${(i % 5_000) * 1_048_576}\n`;
    if (chunk.length >= 64 * 1024) {
      const bytes = Buffer.from(chunk, 'utf8');
      counter.bytes += bytes.length;
      yield bytes;
      chunk = '';
    }
  }
  const bytes = Buffer.from(chunk, 'utf8');
  counter.bytes += bytes.length;
  yield bytes;
}

/** Keeps the planning's continuation messages (batch messages are counted and dropped). */
class ContinuationPublisher implements Publisher {
  continuations: OutgoingWorkMessage[] = [];
  batchMessages = 0;
  async publishWork(messages: OutgoingWorkMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.message.kind === 'migrate') this.continuations.push(m);
      else this.batchMessages++;
    }
  }
  async publishNotification(): Promise<void> {}
}

export async function benchInventoryScale(options: { rows: number }): Promise<InventoryScaleResult> {
  const azurite = await startAzurite({ blobPort: 0 });
  try {
    const tables = createTableStores(
      (name) =>
        TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true }),
      'bench',
    );
    const artifacts = new BlobArtifactStore(
      BlobServiceClient.fromConnectionString(azurite.connectionString),
      {
        containerPrefix: 'bench-',
      },
    );
    await Promise.all([tables.ensureTables(), artifacts.ensureContainers()]);
    const claimsTime = { ms: 0 };
    const manifestsTime = { ms: 0 };
    const batchRowsTime = { ms: 0 };
    timed(tables.mailboxClaims, 'claimFree', claimsTime);
    timed(artifacts, 'writeBatchManifest', manifestsTime);
    timed(tables.requests, 'ensureBatches', batchRowsTime);

    const counter = { bytes: 0 };
    const upload = memoryPeak();
    let started = Date.now();
    const imported = await artifacts.importInventoryCsv('org-1', csvRows(options.rows, counter), {
      maxBytes: 256 * 1024 * 1024,
    });
    const uploadSeconds = (Date.now() - started) / 1000;
    const uploadPeakMiB = upload.stop();
    if (!imported.blobName)
      throw new Error(`import refused: ${JSON.stringify(imported.badRows.slice(0, 3))}`);

    const publisher = new ContinuationPublisher();
    const app = createApp({
      ...tables,
      artifacts,
      publisher,
      tokens: refusingTokenVerifier, // authentication is off: no token is ever asked for
      executor: { name: 'none', execute: async () => ({ ok: true }) },
      topology,
      settings: {
        batchSize: 100,
        itemConcurrency: 16,
        planChunkBatches: 200,
        retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 3_600_000 },
        staleAfterMs: 900_000,
        auth: { mode: 'off', orgsClaim: 'triage_orgs' },
      },
    });
    const caller = app.as(authOffPrincipal);
    const submitted = await caller.submitRequest({
      kind: 'migrate',
      orgId: 'org-1',
      inventory: imported.blobName,
    });
    const delivery = {
      functionName: 'migrate-standard',
      tier: 'standard',
      deliveryCount: 1,
      maxDeliveryCount: 10,
    };
    const planning = memoryPeak();
    started = Date.now();
    let invocations = 0;
    let longest = 0;
    let next: OutgoingWorkMessage | undefined = {
      message: {
        schemaVersion: 1,
        kind: 'migrate',
        requestId: submitted.request.id,
        orgId: 'org-1',
        tier: 'standard',
        inventory: imported.blobName,
      },
      messageId: submitted.request.id,
    };
    while (next) {
      const invocationStarted = Date.now();
      await app.handleDelivery(next.message, { ...delivery, messageId: next.messageId });
      const took = Date.now() - invocationStarted;
      longest = Math.max(longest, took);
      invocations++;
      // Progress on a run that takes many minutes, and the shape of the chunk times (flat, or growing).
      if (invocations % 10 === 0) {
        process.stderr.write(
          `  planning: ${invocations} invocations, ${((Date.now() - started) / 1000).toFixed(0)} s, last ${(took / 1000).toFixed(1)} s\n`,
        );
      }
      next = publisher.continuations.shift();
    }
    const planningSeconds = (Date.now() - started) / 1000;
    const view = await caller.getRequest(submitted.request.id);
    return {
      rows: options.rows,
      csvBytes: counter.bytes,
      uploadSeconds,
      uploadPeakMiB,
      planningSeconds,
      planningInvocations: invocations,
      longestInvocationSeconds: longest / 1000,
      planningPeakMiB: planning.stop(),
      batches: view.batchCount ?? 0,
      planningPhases: {
        claimsSeconds: claimsTime.ms / 1000,
        manifestsSeconds: manifestsTime.ms / 1000,
        batchRowsSeconds: batchRowsTime.ms / 1000,
      },
    };
  } finally {
    await azurite.close();
  }
}

if (require.main === module) {
  const rows = Number(process.env.BENCH_ROWS ?? 2_100_000);
  benchInventoryScale({ rows })
    .then((r) => {
      console.log(
        `inventory of ${r.rows} rows (${(r.csvBytes / 1048576).toFixed(1)} MiB CSV): upload ${r.uploadSeconds.toFixed(1)} s, peak +${r.uploadPeakMiB} MiB; ` +
          `planning ${r.planningSeconds.toFixed(1)} s in ${r.planningInvocations} invocations (longest ${r.longestInvocationSeconds.toFixed(1)} s), peak +${r.planningPeakMiB} MiB; ${r.batches} batches; ` +
          `claims ${r.planningPhases.claimsSeconds.toFixed(1)} s, manifests ${r.planningPhases.manifestsSeconds.toFixed(1)} s, batch rows ${r.planningPhases.batchRowsSeconds.toFixed(1)} s`,
      );
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
