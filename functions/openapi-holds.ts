/** Hold and drain in the OpenAPI document. */
import type { Action } from '../shared/domain/identity/authorization';

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const authResponses = {
  '401': problemResponse('No bearer token, or not a valid one; `WWW-Authenticate` says why'),
  '403': problemResponse('The token has no role for this route'),
};

const hold = {
  type: 'object',
  properties: {
    scope: { enum: ['tier', 'org'] },
    target: { type: 'string' },
    reason: { type: 'string' },
    heldBy: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    since: { type: 'string', format: 'date-time' },
  },
};

/** What GET …/hold answers, and POST …/hold after placing it. */
export const drainReportSchema = {
  type: 'object',
  properties: {
    scope: { enum: ['tier', 'org'] },
    target: { type: 'string' },
    held: { type: 'boolean' },
    hold,
    drained: { type: 'boolean', description: 'Nothing of it is executing (stale rows excepted).' },
    running: {
      type: 'object',
      description:
        'What of it is executing now, across every instance; `items`: the items executing at most now (what a drain waits for).',
      properties: {
        batches: { type: 'integer' },
        provisionings: { type: 'integer' },
        items: { type: 'integer' },
      },
    },
    stale: {
      type: 'integer',
      description: 'Running rows with no heartbeat for 10 minutes (an instance that died).',
    },
    parked: { type: 'integer', description: 'Batches and provisionings kept to be sent again on resume.' },
    atBackEnd: {
      type: 'integer',
      description:
        'Long-running operations (202 Accepted) the back-end is still running for that parked work: a hold stops what Triage starts, not what the back-end already runs; they are polled again on resume.',
    },
    checkedAt: { type: 'string', format: 'date-time' },
  },
};

/** The hold routes of one scope (`tiers/{tier}` or `orgs/{orgId}`). */
function holdPaths(
  base: string,
  target: Record<string, unknown>,
  secured: (action: Action) => Record<string, unknown>,
): Record<string, unknown> {
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  return {
    [`${base}/hold`]: {
      post: {
        ...secured('holds:write'),
        summary:
          'Hold: nothing of it starts (waiting pool claims keep their place but are not admitted; new batches and provisionings are parked), running batches finish their in-flight items and stop at their next item boundary. Shown in every view with the caller who held it, why and since when. Audited.',
        parameters: [target],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            additionalProperties: false,
            required: ['reason'],
            properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
          }),
        },
        responses: {
          '201': { description: 'Held; the drain report', content: json(drainReportSchema) },
          '200': { description: 'Already held: its reason changed', content: json(drainReportSchema) },
          '400': problemResponse('A bad target or a missing or bad reason (the field is named)'),
          ...authResponses,
          '404': problemResponse('No such organisation'),
        },
      },
      get: {
        ...secured('holds:read'),
        summary:
          'The drain report: held or not, by whom and why, what of it still runs (batches, provisionings, their items left) and `drained: true` when nothing does.',
        parameters: [target],
        responses: {
          '200': { description: 'The drain report', content: json(drainReportSchema) },
          '400': problemResponse('A bad target'),
          ...authResponses,
        },
      },
    },
    [`${base}/resume`]: {
      post: {
        ...secured('holds:write'),
        summary:
          'Resume: the hold goes, the work it parked is sent again (what another hold covers stays parked), pools re-dispatch in line order; a batch continues where it stopped and runs each remaining item once. Safe to retry. Audited.',
        parameters: [target],
        responses: {
          '200': {
            description: '{ resumed: hold | null, sent, report }',
            content: json({
              type: 'object',
              properties: { resumed: hold, sent: { type: 'integer' }, report: drainReportSchema },
            }),
          },
          '400': problemResponse('A bad target'),
          ...authResponses,
          '404': problemResponse('Not held, and nothing of it parked'),
        },
      },
    },
  };
}

/** Every hold route; `secured` is openapi.ts's. */
export function holdRoutes(
  tiers: readonly string[],
  secured: (action: Action) => Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...holdPaths(
      '/tiers/{tier}',
      { name: 'tier', in: 'path', required: true, schema: { enum: tiers } },
      secured,
    ),
    ...holdPaths(
      '/orgs/{orgId}',
      { name: 'orgId', in: 'path', required: true, schema: { type: 'string' } },
      secured,
    ),
    '/holds': {
      get: {
        ...secured('holds:read'),
        summary: 'Every hold with its drain report, earliest first.',
        responses: {
          '200': { description: '{ items: [drain report] }' },
          ...authResponses,
        },
      },
    },
  };
}
