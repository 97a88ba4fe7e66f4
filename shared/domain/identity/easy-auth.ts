/**
 * App Service Authentication ("EasyAuth") validates the caller's token in front of the app and forwards
 * its claims in the `x-ms-client-principal` header (base64 JSON). The app trusts that header only when
 * `TRIAGE_AUTH_MODE=easyauth`: App Service then strips any copy a client sends.
 */
import { z } from 'zod';

/** The header EasyAuth injects. */
export const easyAuthPrincipalHeader = 'x-ms-client-principal';

const clientPrincipalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(1000),
});

/** EasyAuth writes some claims under their long WS-Federation names; the token names are the ones we map. */
const shortNames: Record<string, string> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'sub',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'preferred_username',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'roles',
};

/**
 * The claims of an `x-ms-client-principal` header, keyed by their token names (`oid`, `sub`, `roles`,
 * `name`, …); a claim with several values (roles) becomes an array.
 * @returns null when the header is not base64 JSON in EasyAuth's shape.
 */
export function claimsFromEasyAuthHeader(header: string): Record<string, unknown> | null {
  let document: unknown;
  try {
    const binary = atob(header.trim());
    document = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
  const parsed = clientPrincipalSchema.safeParse(document);
  if (!parsed.success) return null;
  const roleType = parsed.data.role_typ ?? 'roles';
  const claims: Record<string, unknown> = {};
  const add = (name: string, value: string): void => {
    const current = claims[name];
    if (current === undefined) claims[name] = name === 'roles' ? [value] : value;
    else claims[name] = Array.isArray(current) ? [...current, value] : [current, value];
  };
  for (const { typ, val } of parsed.data.claims) {
    add(typ === roleType ? 'roles' : (shortNames[typ] ?? typ), val);
  }
  return claims;
}
