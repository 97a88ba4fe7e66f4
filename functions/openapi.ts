import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { orgSchema } from '../shared/domain/orgs';
import { provisionRequestSchema, resourceSchema, mailboxSchema } from '../shared/domain/requests';
import { requestStatuses } from '../shared/domain/status';
import { topology } from '../shared/topology';
import { jsonResponse } from './http-common';

const json = (schema: z.ZodType): unknown => z.toJSONSchema(schema, { unrepresentable: 'any' });
const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

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
      securitySchemes: { functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' } },
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
      '/execution-slots': {
        get: {
          summary:
            "The executor back-end's declared concurrency (TRIAGE_EXECUTION_SLOTS): capacity, reservations, slots used and available per tier, the holders (and whether they are asked to yield) and the work waiting for slots, in line order.",
          responses: { '200': { description: 'The execution slots, or { enabled: false }' } },
        },
      },
      '/requests': {
        post: {
          summary:
            'Submit a provisioning or migration request (body limit 4 MiB). The tier comes from the organisation registry; a `tier` field is rejected.',
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
            '409': problemResponse('Idempotency-Key reused with a different body'),
            '413': problemResponse('Body too large'),
          },
        },
        get: {
          summary: 'List requests (paged).',
          parameters: [
            { name: 'orgId', in: 'query', schema: { type: 'string' } },
            { name: 'tier', in: 'query', schema: { enum: tiers } },
            { name: 'status', in: 'query', schema: { enum: requestStatuses } },
            { name: 'kind', in: 'query', schema: { enum: ['provision', 'migrate'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
            { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: '{ items, continuationToken? }' },
            '400': problemResponse('Invalid filter'),
          },
        },
      },
      '/requests/{id}': {
        get: {
          summary:
            'Status, tier, timestamps, progress {total, succeeded, failed, pending}, batches and history.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The request' }, '404': problemResponse('No such request') },
        },
      },
      '/requests/{id}/cancel': {
        post: {
          summary: 'Stop what has not started.',
          responses: { '200': { description: 'Cancelled' }, '409': problemResponse('Already finished') },
        },
      },
      '/requests/{id}/retry': {
        post: {
          summary:
            'Re-queue failed items or a failed provisioning, and replay the messages of an unfinished request that were dead-lettered (deadLettered on the request or a batch).',
          responses: { '202': { description: 'Re-queued' }, '409': problemResponse('Nothing to retry') },
        },
      },
      '/inventories': {
        post: {
          summary:
            'Upload a CSV inventory (EmailAddress column, optional size column); streamed to Blob; nothing stored if a row is bad.',
          parameters: [{ name: 'orgId', in: 'query', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
          responses: {
            '201': { description: '{ blobName, rowCount, badRows }' },
            '400': problemResponse('Bad rows, each with its line'),
          },
        },
      },
      '/orgs/{orgId}': {
        put: {
          summary: 'Register an organisation and its verified tier (admin key).',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Org' } } },
          },
          responses: { '200': { description: 'Stored' }, '400': problemResponse('Invalid') },
        },
        get: {
          summary: 'An organisation (unregistered ones answer at tier `standard`).',
          responses: { '200': { description: 'The organisation' } },
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
