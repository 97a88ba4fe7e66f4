/** The operator's routes in the OpenAPI document (listing items, reports, the registry, the status page). */
import type { Action } from '../shared/domain/identity/authorization';
import { itemListingStatuses } from '../shared/domain/item-listing';

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

/**
 * The operator's routes; `secured` is openapi.ts's (the roles of each route's declared action).
 */
export function operatorPaths(
  tiers: readonly string[],
  secured: (action: Action) => Record<string, unknown>,
): Record<string, unknown> {
  return {
    '/requests/{id}/items': {
      get: {
        ...secured('requests:read'),
        summary:
          "A migration's items in batch and manifest order: address, status, attempts, reason. `pending` = manifest entries with no final outcome (never run, or a failure re-queued by retry); `in-progress` = long-running operations the back-end is running (counted in the request's `progress.pending`), with `operation: {startedAt, nextPollAt, deadlineAt, polls}`. Each batch is one partition read; a page reads at most 20 batches and may be short while a token follows.",
        parameters: [
          idParameter,
          { name: 'status', in: 'query', schema: { enum: [...itemListingStatuses] } },
          ...paging,
        ],
        responses: {
          '200': {
            description:
              '{ items: [{batch, index, address, status, attempts, reason?, at?, operation?}], continuationToken? }',
          },
          '400': problemResponse('Invalid parameter'),
          '404': problemResponse('No such request'),
        },
      },
    },
    '/requests/{id}/report': {
      get: {
        ...secured('requests:read'),
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
        ...secured('orgs:list'),
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
    '/status': {
      get: {
        summary:
          "The operator's live status page (HTML, no data in it): behind the function key (anonymous when TRIAGE_STATUS_PAGE_ANONYMOUS=true). Open it as /api/status?code=<key>#token=<bearer token>; its own calls carry both.",
        security: [{ functionKey: [] }],
        responses: {
          '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
    },
    '/status/data': {
      get: {
        ...secured('status:read'),
        summary:
          'What the status page draws: per tier requests and mailboxes waiting, running, done and failed, the oldest wait, the next ETAs and the ETA slip; per pool capacity, use and reservations per tier and the head of its line; whether a calendar is set.',
        responses: { '200': { description: '{ at, tiers, pools, calendar }' } },
      },
    },
    '/status/assets/{name}': {
      get: {
        summary: "The status page's script (with Chart.js, bundled by the build) and style sheet.",
        security: [],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { enum: ['app.js', 'style.css'] } }],
        responses: { '200': { description: 'The asset' }, '404': problemResponse('No such asset') },
      },
    },
  };
}
