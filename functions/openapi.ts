import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { actionPolicies, rolesFor, type Action } from '../shared/domain/identity/authorization';
import { orgSchema } from '../shared/domain/orgs';
import { calendarSchema } from '../shared/domain/scheduling/calendar-schema';
import { poolBodySchema } from '../shared/domain/scheduling/pool-schema';
import { builtInChecks } from '../shared/domain/scheduling/readiness';
import { readinessReportSchema } from '../shared/domain/scheduling/readiness-schema';
import { whatIfSchema } from '../shared/domain/scheduling/what-if-schema';
import { provisionRequestSchema, resourceSchema, mailboxSchema } from '../shared/domain/requests';
import { requestStatuses } from '../shared/domain/status';
import { topology } from '../shared/topology';
import { jsonResponse } from './http-common';
import { holdRoutes } from './openapi-holds';
import { operatorPaths } from './openapi-operator';

const json = (schema: z.ZodType): unknown => z.toJSONSchema(schema, { unrepresentable: 'any' });
const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

/**
 * An operation's security: the function key plus a bearer token holding one of the action's roles
 * (OpenAPI 3.1 lets a non-OAuth scheme list role names), the 401/403 answers, and the action itself.
 */
export function secured(action: Action): Record<string, unknown> {
  const policy = actionPolicies[action];
  return {
    'x-triage-action': action,
    'x-triage-org-scope': {
      anyOrganisation: policy.anyOrg,
      ownOrganisationsOnly: policy.ownOrgs,
    },
    security: rolesFor(action).map((role) => ({ functionKey: [], bearer: [role] })),
  };
}

const authResponses = {
  '401': problemResponse('No bearer token, or not a valid one; `WWW-Authenticate` says why'),
  '403': problemResponse("The token has no role for this route, or names an organisation not the caller's"),
};

/** The API description, built from the same zod schemas the handlers validate with. */
export function openApiDocument(): Record<string, unknown> {
  const tiers = topology.tiers.map((t) => t.name);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Triage',
      version: '0.1.0',
      description: 'Priority-tiered provisioning and migration requests.',
    },
    servers: [{ url: '/api' }],
    components: {
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An OAuth 2.0 access token (Microsoft Entra ID in Azure, the local token issuer with `npm start`) whose `roles` claim holds Triage.Admin, Triage.Operator or Triage.Requester. A Requester acts for the organisations in its `triage_orgs` claim and its rows in the membership table.',
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details; `errors` names each bad field.',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
        ProvisionRequest: json(provisionRequestSchema),
        MigrateRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'orgId'],
          description:
            'Exactly one of `mailboxes` (inline, up to 50,000, each address once, compared case-insensitively) or `inventory` (a blob name from POST /inventories).',
          properties: {
            kind: { const: 'migrate' },
            orgId: { type: 'string' },
            mailboxes: { type: 'array', items: json(mailboxSchema) },
            inventory: { type: 'string' },
          },
        },
        Resource: json(resourceSchema),
        Org: json(orgSchema(false)),
        Accepted: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            kind: { enum: ['provision', 'migrate'] },
            orgId: { type: 'string' },
            tier: { enum: tiers },
            status: { enum: requestStatuses },
          },
        },
      },
    },
    security: [{ functionKey: [] }],
    paths: {
      ...operatorPaths(tiers, secured),
      ...holdRoutes(tiers, secured),
      '/execution-slots': {
        get: {
          ...secured('pools:read'),
          summary:
            "The executor back-end's declared concurrency (TRIAGE_EXECUTION_SLOTS): capacity, reservations, slots used and available per tier, the holders (and whether they are asked to yield) and the work waiting for slots, in line order.",
          responses: {
            '200': { description: 'The execution slots, or { enabled: false }' },
            ...authResponses,
          },
        },
      },
      '/requests': {
        post: {
          ...secured('requests:submit'),
          summary:
            "Submit a provisioning or migration request (body limit 4 MiB) for one of the caller's organisations (403 otherwise). The tier comes from the organisation registry; a `tier` field is rejected.",
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 200 } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/ProvisionRequest' },
                    { $ref: '#/components/schemas/MigrateRequest' },
                  ],
                },
              },
            },
          },
          responses: {
            '202': {
              description: 'Accepted; Location: /api/requests/{id}',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
            },
            '400': problemResponse('Invalid body; `errors` names each field'),
            ...authResponses,
            '409': problemResponse('Idempotency-Key reused with a different body'),
            '413': problemResponse('Body too large'),
          },
        },
        get: {
          ...secured('requests:list'),
          summary:
            "List requests (paged), newest first: every organisation's for an operator, the caller's own organisations' for a requester (an `orgId` not its own is a 403). An operator's first page (no token) carries `totals: {byStatus, byTier}` of every request, kept per creation day so no call reads every request.",
          parameters: [
            { name: 'orgId', in: 'query', schema: { type: 'string' } },
            { name: 'tier', in: 'query', schema: { enum: tiers } },
            { name: 'status', in: 'query', schema: { enum: requestStatuses } },
            { name: 'kind', in: 'query', schema: { enum: ['provision', 'migrate'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
            { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: '{ items, continuationToken?, totals? }' },
            '400': problemResponse('Invalid filter'),
            ...authResponses,
          },
        },
      },
      '/requests/{id}': {
        get: {
          ...secured('requests:read'),
          summary:
            'Status, tier, timestamps, progress {total, succeeded, failed, pending}, batches and history.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The request' },
            ...authResponses,
            '404': problemResponse("No such request, or another organisation's"),
          },
        },
      },
      '/requests/{id}/duplicates': {
        get: {
          ...secured('requests:read'),
          summary:
            'The mailboxes a migration left out because other requests of its organisation still in flight migrate them (CSV: EmailAddress, HeldBy, HeldByStatus; the header alone when none). The request view counts them in `duplicates`.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The list', content: { 'text/csv': { schema: { type: 'string' } } } },
            ...authResponses,
            '404': problemResponse("No such request, or another organisation's"),
          },
        },
      },
      '/requests/{id}/cancel': {
        post: {
          ...secured('requests:cancel'),
          summary: 'Stop what has not started.',
          responses: {
            '200': { description: 'Cancelled' },
            ...authResponses,
            '404': problemResponse("No such request, or another organisation's"),
            '409': problemResponse('Already finished'),
          },
        },
      },
      '/requests/{id}/retry': {
        post: {
          ...secured('requests:retry'),
          summary:
            'Re-queue failed items or a failed provisioning, and replay the messages of an unfinished request that were dead-lettered (deadLettered on the request or a batch).',
          responses: {
            '202': { description: 'Re-queued' },
            ...authResponses,
            '404': problemResponse("No such request, or another organisation's"),
            '409': problemResponse('Nothing to retry'),
          },
        },
      },
      '/requests/{id}/release': {
        post: {
          ...secured('requests:release'),
          summary: 'The provisioned resource was given back: its quantity returns to the pool.',
          responses: {
            '200': { description: 'Released' },
            ...authResponses,
            '404': problemResponse('No such request'),
            '409': problemResponse('It holds no capacity, or still runs'),
          },
        },
      },
      '/pools': {
        get: {
          ...secured('pools:read'),
          summary: 'Every capacity pool.',
          responses: { '200': { description: '{ items }' }, ...authResponses },
        },
      },
      '/pools/{poolId}': {
        put: {
          ...secured('pools:write'),
          summary: 'Declare or change a capacity pool: 201 when created, 200 when changed.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(poolBodySchema(tiers)) } },
          },
          responses: {
            '200': { description: 'Changed' },
            '201': { description: 'Created' },
            '400': problemResponse('Invalid'),
            ...authResponses,
          },
        },
        get: {
          ...secured('pools:read'),
          summary: 'Capacity, used and available per tier, reservations, waiting, schedule.',
          responses: {
            '200': { description: 'The pool' },
            ...authResponses,
            '404': problemResponse('No such pool'),
          },
        },
      },
      '/pools/{poolId}/queue': {
        get: {
          ...secured('pools:read'),
          summary: "The pool's waiting line, next first (paged).",
          responses: { '200': { description: '{ items, continuationToken? }' }, ...authResponses },
        },
      },
      '/inventories': {
        post: {
          ...secured('inventories:import'),
          summary:
            "Upload a CSV inventory (EmailAddress column, optional size column) for one of the caller's organisations; streamed to Blob; nothing stored if a row is bad. Only that organisation's requests can use it.",
          parameters: [{ name: 'orgId', in: 'query', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
          responses: {
            '201': { description: '{ blobName, rowCount, badRows }' },
            '400': problemResponse('Bad rows, each with its line'),
            ...authResponses,
          },
        },
      },
      '/orgs/{orgId}': {
        put: {
          ...secured('orgs:write'),
          summary: 'Register an organisation and its verified tier.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Org' } } },
          },
          responses: {
            '200': { description: 'Stored' },
            '400': problemResponse('Invalid'),
            ...authResponses,
          },
        },
        get: {
          ...secured('orgs:read'),
          summary: 'An organisation (unregistered ones answer at tier `standard`).',
          responses: { '200': { description: 'The organisation' }, ...authResponses },
        },
      },
      '/orgs/{orgId}/audit': {
        get: {
          ...secured('orgs:audit'),
          summary: "Who changed the organisation's tier, when, from what to what, and why.",
          responses: {
            '200': { description: '{ items }' },
            ...authResponses,
            '404': problemResponse('No such organisation'),
          },
        },
      },
      '/orgs/{orgId}/readiness': {
        put: {
          ...secured('readiness:write'),
          summary:
            "Report the organisation's prerequisite checks (`{checks:[{name, status, detail?, evidence?}]}`), merged by name over earlier reports.",
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(readinessReportSchema(builtInChecks)) } },
          },
          responses: {
            '200': { description: 'The readiness' },
            '400': problemResponse('An unknown check'),
            ...authResponses,
            '404': problemResponse('No such organisation'),
          },
        },
        get: {
          ...secured('readiness:read'),
          summary: "The organisation's readiness: its checks, the failing ones, and why.",
          responses: { '200': { description: 'The readiness' }, ...authResponses },
        },
      },
      '/orgs/import': {
        post: {
          ...secured('orgs:import'),
          summary:
            'Register organisations from a CSV (`orgId,name,sector,tier,evidence` and readiness-check columns); a bad row stores nothing.',
          requestBody: {
            required: true,
            content: {
              'text/csv': {
                schema: { type: 'string', description: 'orgId,name,sector,tier,evidence[,<check>…]' },
              },
            },
          },
          responses: {
            '200': { description: '{ imported, rowCount, badRows, badRowCount }' },
            '400': problemResponse('Bad rows, each with its line'),
            ...authResponses,
          },
        },
      },
      '/calendar': {
        put: {
          ...secured('calendar:write'),
          summary: "The programme's capacity calendar: 201 when created, 200 when changed.",
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(calendarSchema(tiers)) } },
          },
          responses: {
            '200': { description: 'Changed' },
            '201': { description: 'Created' },
            '400': problemResponse('Invalid'),
            ...authResponses,
          },
        },
        get: {
          ...secured('calendar:read'),
          summary: 'The calendar.',
          responses: {
            '200': { description: 'The calendar' },
            ...authResponses,
            '404': problemResponse('None yet'),
          },
        },
      },
      '/plan': {
        get: {
          ...secured('plan:read'),
          summary: 'Plan versus actual: the burn-down.',
          responses: {
            '200': { description: 'The plan' },
            ...authResponses,
            '404': problemResponse('No calendar'),
          },
        },
      },
      '/plan/what-if': {
        post: {
          ...secured('plan:what-if'),
          summary: 'The plan under other caps, holidays, readiness or a surge; changes nothing.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(whatIfSchema(tiers)) } },
          },
          responses: {
            '200': { description: 'The plan and the requests whose finish moves most' },
            '400': problemResponse('A nonsense override'),
            ...authResponses,
            '404': problemResponse('No calendar'),
          },
        },
      },
      '/orgs/{orgId}/members': {
        get: {
          ...secured('members:read'),
          summary: 'The principals (Entra object ids) whose Triage.Requester role acts for the organisation.',
          responses: {
            '200': { description: '{ items: [{ orgId, principalId, addedAt, addedBy }] }' },
            ...authResponses,
          },
        },
      },
      '/orgs/{orgId}/members/{principalId}': {
        put: {
          ...secured('members:write'),
          summary:
            "Bind a principal's Triage.Requester role to the organisation (the role itself is assigned in Entra ID).",
          responses: {
            '200': { description: 'The membership' },
            '400': problemResponse('Invalid id'),
            ...authResponses,
          },
        },
        delete: {
          ...secured('members:write'),
          summary: 'End that binding; the principal no longer acts for the organisation.',
          responses: {
            '204': { description: 'Removed' },
            ...authResponses,
            '404': problemResponse('Not a member'),
          },
        },
      },
      '/dead-letters': {
        get: {
          ...secured('dead-letters:read'),
          summary:
            'Messages Triage refused (poison, mis-addressed, contradicting their stored request) or found dead-lettered, newest first.',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } }],
          responses: {
            '200': { description: '{ items: [{ messageId, at, source, reason, requestId?, body }] }' },
            '400': problemResponse('Invalid limit'),
            ...authResponses,
          },
        },
      },
      '/health': {
        get: {
          summary: 'Liveness plus Storage and Service Bus checks.',
          security: [],
          responses: { '200': { description: 'ok' }, '503': { description: 'degraded' } },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document.',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
    },
  };
}

export async function openApiHandler(_request: HttpRequest): Promise<HttpResponseInit> {
  return jsonResponse(200, openApiDocument());
}

app.http('openapi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: openApiHandler,
});
