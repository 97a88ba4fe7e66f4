import { TableClient, type TransactionAction } from '@azure/data-tables';
import { startAzurite } from '../../local/azurite';

export interface AzuriteBaseline {
  entitiesPerSecond: number;
  transactions: number;
  elapsedMs: number;
}

/**
 * Azurite's raw Table throughput with 100-entity entity-group transactions into one partition:
 * the local ceiling every pipeline figure is compared to. Runs `concurrency` writers at once,
 * because the pipeline's workers also write concurrently.
 */
export async function benchAzuriteTransactions(
  options: {
    entities: number;
    /** Rows per partition; default all in one. The pipeline's items partition by batch. */
    partitionSize?: number;
    concurrency?: number;
    connectionString?: string;
  } = { entities: 10_000 },
): Promise<AzuriteBaseline> {
  const azurite = options.connectionString ? null : await startAzurite({ blobPort: 0 });
  const connectionString = options.connectionString ?? azurite!.connectionString;
  try {
    const table = TableClient.fromConnectionString(connectionString, `baseline${Date.now()}`, {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const chunks: TransactionAction[][] = [];
    for (let start = 0; start < options.entities; start += 100) {
      const chunk: TransactionAction[] = [];
      for (let i = start; i < Math.min(start + 100, options.entities); i++) {
        chunk.push([
          'upsert',
          {
            partitionKey: 'batch-0001',
            rowKey: String(i).padStart(8, '0'),
            status: 'succeeded',
            attempts: 1,
          },
          'Replace',
        ]);
      }
      chunks.push(chunk);
    }
    const concurrency = options.concurrency ?? 4;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++]!;
          await table.submitTransaction(chunk);
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    return {
      entitiesPerSecond: (options.entities / elapsedMs) * 1000,
      transactions: chunks.length,
      elapsedMs,
    };
  } finally {
    await azurite?.close();
  }
}
