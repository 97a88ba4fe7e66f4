import type { ArtifactStore } from '../app/ports/artifact-store';

/** What the pipeline's own storage traffic cost, by billing meter (for the cost model: see the README). */
export interface OperationSnapshot {
  table: {
    requests: number;
    pointReads: number;
    queries: number;
    writes: number;
    batches: number;
    batchEntities: number;
  };
  /** Blob operations as the artifact store makes them: each manifest is two blobs (NDJSON and CSV). */
  blob: { writes: number; reads: number };
}

interface CountedRequest {
  method: string;
  url: string;
  body?: unknown;
}

/**
 * Counts the app's storage operations: a pipeline policy on the Table clients sees every REST call (and the
 * entities inside each entity-group transaction); Blob operations are counted at the artifact store, one per
 * blob written or read. Off unless `TRIAGE_OPERATION_COUNTS_FILE` is set.
 */
export class OperationCounts {
  readonly snapshot: OperationSnapshot = {
    table: { requests: 0, pointReads: 0, queries: 0, writes: 0, batches: 0, batchEntities: 0 },
    blob: { writes: 0, reads: 0 },
  };

  /** A `perCall` policy for `TableClient` options (`additionalPolicies`). */
  tablePolicy(): {
    name: string;
    sendRequest: (request: CountedRequest, next: (r: CountedRequest) => Promise<unknown>) => Promise<unknown>;
  } {
    return {
      name: 'triageOperationCounts',
      sendRequest: (request, next) => {
        const t = this.snapshot.table;
        t.requests++;
        const path = new URL(request.url).pathname;
        if (path.endsWith('/$batch')) {
          t.batches++;
          const body = typeof request.body === 'string' ? request.body : '';
          t.batchEntities += (body.match(/^(POST|PUT|PATCH|MERGE|DELETE) \S+ HTTP\/1\.1/gm) ?? []).length;
        } else if (request.method === 'GET') {
          if (/\(PartitionKey='.*',RowKey='.*'\)$/.test(decodeURIComponent(path))) t.pointReads++;
          else t.queries++;
        } else t.writes++;
        return next(request);
      },
    };
  }

  /** The artifact store with each blob read and write counted. */
  countArtifacts(store: ArtifactStore): ArtifactStore {
    const blob = this.snapshot.blob;
    return {
      importInventoryCsv: (orgId, csv, options) => {
        blob.writes++;
        return store.importInventoryCsv(orgId, csv, options);
      },
      writeInventory: (orgId, requestId, mailboxes) => {
        blob.writes++;
        return store.writeInventory(orgId, requestId, mailboxes);
      },
      inventoryOwner: (name) => {
        blob.reads++;
        return store.inventoryOwner(name);
      },
      readInventoryChunk: (name, cursor, max) => {
        blob.reads++;
        return store.readInventoryChunk(name, cursor, max);
      },
      readInventory: (name) => {
        blob.reads++;
        return store.readInventory(name);
      },
      writeReport: (requestId, lines) => {
        blob.writes++;
        return store.writeReport(requestId, lines);
      },
      readReport: (requestId) => {
        blob.reads++;
        return store.readReport(requestId);
      },
      writeBatchManifest: (requestId, batchNumber, mailboxes) => {
        blob.writes += 2;
        return store.writeBatchManifest(requestId, batchNumber, mailboxes);
      },
      readBatchManifest: (requestId, batchNumber) => {
        blob.reads++;
        return store.readBatchManifest(requestId, batchNumber);
      },
      writeDuplicates: (requestId, fromBatch, skipped) => {
        blob.writes++;
        return store.writeDuplicates(requestId, fromBatch, skipped);
      },
      readDuplicates: (requestId) => {
        blob.reads++;
        return store.readDuplicates(requestId);
      },
      ensureContainers: () => store.ensureContainers(),
    };
  }
}
