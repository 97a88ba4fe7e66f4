// The app entry (package.json "main": dist/functions/index.js): importing each file registers its Functions.
import { app } from '@azure/functions';
import { getConfig } from './runtime';
import './requests-api';
import './inventories-api';
import './orgs-api';
import './health';
import './openapi';
import './tier-workers';
import './webhooks';
import './pools-api';
import './pools-timer';
import './execution-slots-api';

// Validate settings when the host starts, so a missing one fails loudly and names itself.
app.hook.appStart(() => {
  getConfig();
});
