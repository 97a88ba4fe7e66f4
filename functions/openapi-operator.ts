/** The operator's routes in the OpenAPI document (listing items, reports, the registry). */
const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});
const paging = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
  { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
];
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export function operatorPaths(tiers: readonly string[]): Record<string, unknown> {
  return {
    '/requests/{id}/items': {
      get: {
        summary:
          "A migration's items in batch and manifest order: address, status, attempts, reason. `pending` = manifest entries with no final outcome (never run, or a failure re-queued by retry). Each batch is one partition read; a page reads at most 20 batches and may be short while a token follows.",
        parameters: [
          idParameter,
          { name: 'status', in: 'query', schema: { enum: ['failed', 'succeeded', 'pending'] } },
          ...paging,
        ],
        responses: {
          '200': {
            description:
              '{ items: [{batch, index, address, status, attempts, reason?, at?}], continuationToken? }',
          },
          '400': problemResponse('Invalid parameter'),
          '404': problemResponse('No such request'),
        },
      },
    },
    '/requests/{id}/report': {
      get: {
        summary:
          "The CSV report written to the `reports` container when the request finished (EmailAddress, Status, Reason, Attempts, Batch, At; cells that would start a formula are prefixed with `'`). Linked from GET /requests/{id} as `report.url`.",
        parameters: [idParameter],
        responses: {
          '200': { description: 'The report', content: { 'text/csv': { schema: { type: 'string' } } } },
          '404': problemResponse(
            'No such request, or no report yet (it is written once the request is final)',
          ),
        },
      },
    },
    '/orgs': {
      get: {
        summary:
          'The registry, in orgId order, paged. `ready` filters on the readiness an organisation last reported (all required checks passing); one that never reported counts as not ready.',
        parameters: [
          { name: 'tier', in: 'query', schema: { enum: tiers } },
          { name: 'ready', in: 'query', schema: { enum: ['true', 'false'] } },
          ...paging,
        ],
        responses: {
          '200': { description: '{ items: [organisation + servedTier], continuationToken? }' },
          '400': problemResponse('Invalid filter'),
        },
      },
    },
  };
}
