import { roles } from '../../shared/domain/identity/principal';
import { E2eStack, startE2eStack } from './support/e2e-stack';

/**
 * Function keys as Azure checks them (the local host with `--enforce-keys`): by default every API route wants
 * one besides the token, and a missing key gets the host's own bodiless 401; with TRIAGE_FUNCTION_KEYS=off
 * the token is the only gate and every 401 is the app's, with a problem body.
 */
let e2e: E2eStack;
const functionKey = 'e2e-function-key';

beforeAll(async () => {
  e2e = await startE2eStack({
    enforceKeys: true,
    settings: { FUNCTIONS_FUNCTION_KEY: functionKey, TRIAGE_FUNCTION_KEYS: 'off' },
  });
}, 90_000);
afterAll(() => e2e?.stop());

test('TRIAGE_FUNCTION_KEYS=off: no key needed, and a missing token gets a 401 problem naming what is missing', async () => {
  const anonymous = await fetch(`${e2e.url}/api/requests`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm="triage"/);
  expect(await anonymous.json()).toMatchObject({ status: 401, title: expect.any(String) });
  // The token alone opens it: no function key.
  expect((await e2e.http('GET', '/api/requests')).status).toBe(200);
});

test('by default (keys required) the host refuses a call without the key before the app runs', async () => {
  const keyed = await e2e.stack.startExtraHost({ TRIAGE_FUNCTION_KEYS: undefined });
  const token = await e2e.token({
    roles: [roles.operator],
    orgs: [],
    subject: 'keys-test',
    ttlInSeconds: 600,
  });
  const withToken = { headers: { authorization: `Bearer ${token}` } };
  const noKey = await fetch(`${keyed.url}/api/requests`, withToken);
  expect(noKey.status).toBe(401);
  expect(await noKey.text()).toBe('');
  const withKey = await fetch(`${keyed.url}/api/requests?code=${functionKey}`, withToken);
  expect(withKey.status).toBe(200);
}, 60_000);
