import { app } from '@azure/functions';
import { authorized, jsonResponse, apiAuthLevel } from './http-common';

/** PUT /api/orgs/{orgId}/members/{principalId} — binds a principal's Triage.Requester role to the organisation. */
export const putMemberHandler = authorized('members:write', async (request, _context, caller) =>
  jsonResponse(200, await caller.putMember(request.params.orgId, request.params.principalId)),
);

/** DELETE /api/orgs/{orgId}/members/{principalId} — ends that binding. */
export const deleteMemberHandler = authorized('members:write', async (request, _context, caller) => {
  await caller.deleteMember(request.params.orgId, request.params.principalId);
  return { status: 204 };
});

/** GET /api/orgs/{orgId}/members — who acts for the organisation. */
export const listMembersHandler = authorized('members:read', async (request, _context, caller) =>
  jsonResponse(200, await caller.listMembers(request.params.orgId)),
);

app.http('putMember', {
  route: 'orgs/{orgId}/members/{principalId}',
  methods: ['PUT'],
  authLevel: apiAuthLevel,
  handler: putMemberHandler,
});
app.http('deleteMember', {
  route: 'orgs/{orgId}/members/{principalId}',
  methods: ['DELETE'],
  authLevel: apiAuthLevel,
  handler: deleteMemberHandler,
});
app.http('listMembers', {
  route: 'orgs/{orgId}/members',
  methods: ['GET'],
  authLevel: apiAuthLevel,
  handler: listMembersHandler,
});
