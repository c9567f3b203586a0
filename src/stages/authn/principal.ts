/**
 * The principal a validated token names (`authn:idp-profiles`, claims part): who is calling, for
 * which client and tenant, with which scopes, roles and groups. Pure; every claim read is
 * type-checked because an issuer's claims are data, not code (a `scope` of 42 or `roles` of
 * `"admin"` grants nothing).
 *
 * Profiles:
 * - `oidc` (Keycloak, Auth0, Okta): `iss` and `sub` required; client from `azp`, `client_id` or
 *   Okta's `cid`; scopes from `scope` (space-separated) and `scp` (string or array, Okta); roles
 *   from `roles`, Keycloak `realm_access.roles` and `resource_access.<client>.roles` of the
 *   token's own client; groups from `groups`.
 * - `entra` (Microsoft Entra ID v2 access tokens): additionally `tid` in the tenant allowlist and
 *   named as a path segment of `iss`, client from `azp` only (v1 tokens, which carry `appid`, are
 *   refused); scopes from `scp` (space-separated), app roles from `roles`, groups from `groups`.
 *
 * Malformed optional claims are read as absent: they only ever grant, so dropping them fails safe.
 */
import { WardenError } from '../../core/errors.js';
import type { Principal } from '../../core/exchange.js';

/** How a token's claims become a principal; built once from `auth` config. */
export interface PrincipalPolicy {
  /** Claim layout: generic OpenID Connect or Microsoft Entra ID. */
  readonly profile: 'oidc' | 'entra';
  /** Allowed tenant ids (`tid`), compared case-insensitively; entra only, where it must be non-empty. */
  readonly tenants: readonly string[];
  /** Allowed client ids; any client when empty. */
  readonly clientIds: readonly string[];
  /** Extra claims copied into the principal when they are JSON primitives or arrays of them. */
  readonly claims: readonly string[];
}

/** Why claims were refused (stable, for audit records and tests). */
export type PrincipalFault = 'subject' | 'tenant' | 'client';

/** Longest `iss` or `sub` accepted, in characters. */
export const MAX_ID_CHARS = 1024;
/** Longest copied claim string, in characters; a longer value is dropped, never cut. */
export const MAX_CLAIM_CHARS = 256;
/** Most items in a copied claim array; a longer array is dropped, never cut. */
export const MAX_CLAIM_ITEMS = 32;

type Claims = Readonly<Record<string, unknown>>;

function refuse(reason: PrincipalFault): WardenError {
  return new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason } });
}

/** Refuses, at start-up, a policy that could never accept anyone or would silently ignore a list. */
export function checkPrincipalPolicy(policy: PrincipalPolicy): PrincipalPolicy {
  let message: string | undefined;
  if (policy.profile === 'entra' && policy.tenants.length === 0)
    message = 'the entra profile needs at least one allowed tenant id (`tid`)';
  else if (policy.profile !== 'entra' && policy.tenants.length > 0)
    message = 'tenants apply only to the entra profile';
  if (message !== undefined)
    throw new WardenError('ERR_CONFIG_INVALID', `auth.tenants: ${message}`, {
      data: { problems: [{ path: 'auth.tenants', message }] },
    });
  return policy;
}

// Own data properties only: never a prototype key, never a getter.
function own(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const d = Object.getOwnPropertyDescriptor(obj, key);
  return d !== undefined && 'value' in d ? d.value : undefined;
}

function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

function spaced(v: unknown): string[] {
  return typeof v === 'string' ? v.split(' ').filter((s) => s.length > 0) : [];
}

function unique(...lists: string[][]): readonly string[] {
  return Object.freeze([...new Set(lists.flat())]);
}

function identifier(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_CHARS ? v : undefined;
}

/** The issuer and subject; the key `<iss>|<sub>` stays unambiguous because `iss` has no `|`. */
function verifySubject(claims: Claims): { issuer: string; subject: string } {
  const issuer = identifier(own(claims, 'iss'));
  const subject = identifier(own(claims, 'sub'));
  if (issuer === undefined || subject === undefined || issuer.includes('|')) throw refuse('subject');
  return { issuer, subject };
}

/** The tenant (entra only): `tid` in the allowlist and the tenant segment of the issuer URL. */
function verifyTenant(claims: Claims, issuer: string, policy: PrincipalPolicy): string | undefined {
  if (policy.profile !== 'entra') return undefined;
  const tid = own(claims, 'tid');
  if (typeof tid !== 'string' || tid.length === 0) throw refuse('tenant');
  const lower = tid.toLowerCase();
  if (!policy.tenants.some((t) => t.toLowerCase() === lower)) throw refuse('tenant');
  // Entra's v2 issuers are tenant-specific (…/{tid}/v2.0); a token from one allowed issuer must not
  // claim another tenant.
  let segments: string[];
  try {
    segments = new URL(issuer).pathname.toLowerCase().split('/');
  } catch {
    throw refuse('tenant');
  }
  if (!segments.includes(lower)) throw refuse('tenant');
  return tid;
}

/** The client the token was issued to, checked against the allowlist when there is one. */
function verifyClient(claims: Claims, policy: PrincipalPolicy): string | undefined {
  const names = policy.profile === 'entra' ? ['azp'] : ['azp', 'client_id', 'cid'];
  const name = names.find((n) => own(claims, n) !== undefined);
  const raw = name === undefined ? undefined : own(claims, name);
  // A present but malformed client claim is refused rather than skipped, so a later claim can
  // never stand in for it.
  if (raw !== undefined && identifier(raw) === undefined) throw refuse('client');
  const clientId = raw as string | undefined;
  if (policy.profile === 'entra' && clientId === undefined) throw refuse('client');
  if (policy.clientIds.length > 0 && (clientId === undefined || !policy.clientIds.includes(clientId)))
    throw refuse('client');
  return clientId;
}

function scopesOf(claims: Claims, policy: PrincipalPolicy): readonly string[] {
  const scp = own(claims, 'scp');
  if (policy.profile === 'entra') return unique(spaced(scp));
  return unique(spaced(own(claims, 'scope')), spaced(scp), strings(scp));
}

function rolesOf(claims: Claims, policy: PrincipalPolicy, clientId: string | undefined): readonly string[] {
  const roles = strings(own(claims, 'roles'));
  if (policy.profile === 'entra') return unique(roles);
  const realm = strings(own(own(claims, 'realm_access'), 'roles'));
  const client =
    clientId === undefined ? [] : strings(own(own(own(claims, 'resource_access'), clientId), 'roles'));
  return unique(roles, realm, client);
}

function copyable(v: unknown): boolean {
  if (typeof v === 'string') return v.length <= MAX_CLAIM_CHARS;
  return v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function chosenClaims(claims: Claims, names: readonly string[]): Readonly<Record<string, unknown>> {
  const out: [string, unknown][] = [];
  for (const name of names) {
    const v = own(claims, name);
    if (copyable(v)) out.push([name, v]);
    else if (Array.isArray(v) && v.length <= MAX_CLAIM_ITEMS && v.every(copyable))
      out.push([name, Object.freeze([...(v as unknown[])])]);
  }
  // fromEntries defines own properties, so a claim named `__proto__` stays a plain key.
  return Object.freeze(Object.fromEntries(out));
}

/**
 * The principal named by a validated token's claims (JWT payload or active introspection answer);
 * throws ERR_AUTHN_TOKEN_INVALID with data.reason 'subject' | 'tenant' | 'client' when the claims do
 * not name an acceptable caller.
 */
export function principalFromClaims(claims: Claims, policy: PrincipalPolicy): Principal {
  const { issuer, subject } = verifySubject(claims);
  const tenant = verifyTenant(claims, issuer, policy);
  const clientId = verifyClient(claims, policy);
  const groups = strings(own(claims, 'groups'));
  const exp = own(claims, 'exp');
  return Object.freeze({
    key: `${issuer}|${subject}`,
    issuer,
    subject,
    ...(clientId === undefined ? {} : { clientId }),
    ...(tenant === undefined ? {} : { tenant }),
    scopes: scopesOf(claims, policy),
    roles: rolesOf(claims, policy, clientId),
    ...(groups.length === 0 ? {} : { groups: unique(groups) }),
    ...(policy.claims.length === 0 ? {} : { claims: chosenClaims(claims, policy.claims) }),
    ...(typeof exp === 'number' && Number.isFinite(exp) ? { expiresAt: exp } : {}),
  });
}
