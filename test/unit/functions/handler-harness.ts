import type { HttpResponseInit } from '@azure/functions';
import * as runtime from '../../../functions/runtime';
import type * as HealthModule from '../../../functions/health';
import type * as InventoriesApi from '../../../functions/inventories-api';
import type * as OrgsApi from '../../../functions/orgs-api';
import type * as RequestsApi from '../../../functions/requests-api';
import type { CallerApp } from '../../../shared/app';
import { configTrusting, startAuthFixture, type AuthFixture } from '../../support/auth-fixture';
import { createTestApp } from '../../support/in-memory-ports';

/**
 * The handlers as the Functions library intends them to be tested: an HttpRequest and an InvocationContext
 * built by hand, the app behind getApp() on in-memory ports, with authentication on (tokens from the local
 * issuer, validated by the app's verifier: see test/support/auth-fixture.ts). Loading registers the Functions; outside a host
 * @azure/functions warns once per Function, silenced here.
 */
const quiet = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
export const requestsApi = jest.requireActual<typeof RequestsApi>('../../../functions/requests-api');
export const orgsApi = jest.requireActual<typeof OrgsApi>('../../../functions/orgs-api');
export const inventoriesApi = jest.requireActual<typeof InventoriesApi>('../../../functions/inventories-api');
export const healthModule = jest.requireActual<typeof HealthModule>('../../../functions/health');
quiet.mockRestore();

/**
 * A fresh app behind `getApp()` trusting the fixture's issuer (call in `beforeEach`; mocks restored after
 * each).
 */
export function installTestApp(auth: AuthFixture): ReturnType<typeof createTestApp> {
  const t = createTestApp({ tokens: auth.verifier });
  jest.spyOn(runtime, 'getApp').mockResolvedValue(t.app);
  jest.spyOn(runtime, 'getConfig').mockReturnValue(configTrusting(auth.issuer));
  return t;
}

/**
 * The local token issuer for one test file (started before its tests, stopped after them) and, before each
 * test, a fresh app behind `getApp()` trusting it. `authorization` carries every role, acting for `orgs`.
 */
export function useHandlerApp(orgs: readonly string[]) {
  let auth: AuthFixture | undefined;
  let authorization = '';
  beforeAll(async () => {
    auth = await startAuthFixture();
    authorization = await auth.harness(orgs);
  });
  afterAll(async () => auth?.close());
  afterEach(() => jest.restoreAllMocks());
  return {
    /** `Bearer <token>` of the harness principal. */
    get authorization(): string {
      return authorization;
    },
    /** Call in `beforeEach`. */
    install(): ReturnType<typeof createTestApp> {
      if (!auth)
        throw new Error('useHandlerApp: the token issuer has not started (call install in beforeEach)');
      return installTestApp(auth);
    },
  };
}

/** Makes one of the HTTP use-cases reject, for whichever principal the handler binds (`app.as`). */
export function failUseCase(
  t: ReturnType<typeof createTestApp>,
  name: keyof CallerApp,
  error: unknown,
): void {
  const bind = t.app.as.bind(t.app);
  jest.spyOn(t.app, 'as').mockImplementation((caller) => ({
    ...bind(caller),
    [name]: () => Promise.reject(error),
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
export const json = (r: HttpResponseInit): any => JSON.parse(String(r.body));
export const header = (r: HttpResponseInit, name: string) => (r.headers as Record<string, string>)[name];
