import { z } from 'zod';
import { schemaVersion } from './messages';
import { notificationTypes } from './notifications';
import { orgIdSchema, requestIdSchema } from './requests';
import { requestStatuses } from './status';

/** A notification as it arrives from the topic: checked before anything is sent on its behalf. */
export const requestNotificationSchema = z.object({
  schemaVersion: z.literal(schemaVersion),
  type: z.enum(notificationTypes),
  requestId: requestIdSchema,
  orgId: orgIdSchema,
  tier: z.string().min(1).max(50),
  status: z.enum(requestStatuses),
  position: z.number().int().min(1).nullable(),
  eta: z.string().max(40).nullable(),
  reason: z.string().max(4000).nullable(),
  at: z.string().max(40),
  eventId: z.string().min(1).max(100),
});
