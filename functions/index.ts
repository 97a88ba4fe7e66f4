// The app entry (package.json "main": dist/functions/index.js): importing each file registers its Functions.
import { app } from '@azure/functions';
import { getConfig } from './runtime';
import './requests-api';
import './inventories-api';
import './orgs-api';
import './members-api';
import './health';
import './openapi';
import './tier-workers';
import './reconciler';
import './dead-letters';
import './holds-api';
import './webhooks';
import './pools-api';
import './pools-timer';
import './request-items-api';
import './registry-api';
import './reports';
import './status-page';
import './metrics-timer';
import './execution-slots-api';
import './programme-api';
import './programme-timer';
// Last, though precedence does not depend on it: the catch-all for paths and methods nothing else takes.
import './unmatched-route';

// Validate settings when the host starts, so a missing one fails loudly and names itself.
app.hook.appStart(() => {
  if (getConfig().auth.mode === 'off') console.warn(authOffWarning);
});

const authOffWarning = [
  '',
  '!!! TRIAGE_AUTH_MODE=off: authentication is OFF. Every caller acts as every role for every organisation.',
  '!!! For local experiments only; a deployment must run with token or easyauth.',
  '',
].join('\n');
