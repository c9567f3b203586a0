/**
 * Principals from realistic Keycloak, Auth0, Okta and Entra ID v2 token payloads, the refusals of
 * claims that name no acceptable caller, hostile claim types that must grant nothing, and a
 * property test that no input makes the mapper throw anything but a coded refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import {
  MAX_CLAIM_CHARS,
  MAX_CLAIM_ITEMS,
  checkPrincipalPolicy,
  principalFromClaims,
} from '../../src/stages/authn/principal.js';
import type { PrincipalPolicy } from '../../src/stages/authn/principal.js';

const EXP = 1_795_000_000;
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_TID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const oidc: PrincipalPolicy = { profile: 'oidc', tenants: [], clientIds: [], claims: [] };
const entra: PrincipalPolicy = { profile: 'entra', tenants: [TID], clientIds: [], claims: [] };

const keycloak = {
  exp: EXP,
  iat: EXP - 300,
  jti: 'onrtac:5a1c6f0e-2f83-4a53-9f0e-0d7e1b3f9c11',
  iss: 'https://kc.example/realms/acme',
  aud: ['https://warden.example/mcp', 'account'],
  sub: 'f3c1b2a4-7e1d-4c55-9a0b-2b8f5d6e7a10',
  typ: 'Bearer',
  azp: 'mcp-desktop',
  sid: '0b0c1d2e-3f40-4152-a637-48596a7b8c9d',
  acr: '1',
  'allowed-origins': ['http://localhost:6274'],
  realm_access: { roles: ['offline_access', 'uma_authorization', 'mcp-user'] },
  resource_access: {
    'mcp-desktop': { roles: ['tools-admin'] },
    account: { roles: ['manage-account', 'view-profile'] },
  },
  scope: 'openid profile email notes:read',
  email_verified: true,
  preferred_username: 'alice',
  groups: ['/engineering', '/engineering/mcp'],
};

const auth0 = {
  iss: 'https://acme.eu.auth0.com/',
  sub: 'auth0|64f1c0ffee1234567890abcd',
  aud: ['https://warden.example/mcp', 'https://acme.eu.auth0.com/userinfo'],
  iat: EXP - 86_400,
  exp: EXP,
  scope: 'openid profile notes:read notes:write',
  azp: 'Xb2fQv9Lr0pT6mZk3HsW1aYc8NdE4uGj',
  permissions: ['notes:read', 'notes:write'],
  'https://acme.example/roles': ['editor', 'reviewer'],
  'https://acme.example/org': 'org_8f2KdL0pQm',
};

const okta = {
  ver: 1,
  jti: 'AT.vR3lq0t2m1fF8aQeU5xJb7yH9sK4wD6cN0pG2iL1oZ',
  iss: 'https://acme.okta.com/oauth2/default',
  aud: 'api://default',
  iat: EXP - 3600,
  exp: EXP,
  cid: '0oa1b2c3d4E5F6g7h8i9',
  uid: '00u1a2b3c4D5E6f7g8h9',
  scp: ['openid', 'notes.read'],
  auth_time: EXP - 3700,
  sub: 'alice@acme.example',
  groups: ['Everyone', 'MCP Users'],
};

const entraUser = {
  aud: 'api://5e3c1a2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c',
  iss: `https://login.microsoftonline.com/${TID}/v2.0`,
  iat: EXP - 3600,
  nbf: EXP - 3600,
  exp: EXP,
  aio: 'AWQAm/8TAAAA',
  azp: '1f2e3d4c-5b6a-4789-8a0b-c1d2e3f4a5b6',
  azpacr: '0',
  name: 'Alice Example',
  oid: '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d',
  preferred_username: 'alice@acme.example',
  rh: '0.AXgAv4j5cvGGr0GRqy180BHbR.',
  roles: ['Warden.Admin'],
  scp: 'Notes.Read Tools.Call',
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  tid: TID,
  uti: 'fqiBqXLPj0eQa82S-IYFAA',
  ver: '2.0',
  groups: ['c5b1f3d2-8a4e-4f6b-9c0d-1e2f3a4b5c6d'],
};

const entraApp = {
  aud: 'api://5e3c1a2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c',
  iss: `https://login.microsoftonline.com/${TID}/v2.0`,
  iat: EXP - 3600,
  exp: EXP,
  azp: '2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a8b',
  azpacr: '1',
  oid: '7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e',
  roles: ['Tools.Call.All'],
  sub: '7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e',
  tid: TID,
  ver: '2.0',
};

function refusal(claims: unknown, policy: PrincipalPolicy): unknown {
  try {
    principalFromClaims(claims as Record<string, unknown>, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const we = err as WardenError;
    expect(we.code).toBe('ERR_AUTHN_TOKEN_INVALID');
    expect(we.status).toBe(401);
    return we.data?.reason;
  }
  throw new Error('claims were accepted');
}

describe('principals from real identity-provider payloads', () => {
  it('[authn:idp-profiles] Keycloak: azp client, scope string, realm roles and only the calling client roles', () => {
    const p = principalFromClaims(keycloak, oidc);
    expect(p).toEqual({
      key: 'https://kc.example/realms/acme|f3c1b2a4-7e1d-4c55-9a0b-2b8f5d6e7a10',
      issuer: 'https://kc.example/realms/acme',
      subject: 'f3c1b2a4-7e1d-4c55-9a0b-2b8f5d6e7a10',
      clientId: 'mcp-desktop',
      scopes: ['openid', 'profile', 'email', 'notes:read'],
      roles: ['offline_access', 'uma_authorization', 'mcp-user', 'tools-admin'],
      groups: ['/engineering', '/engineering/mcp'],
      expiresAt: EXP,
    });
    expect(p.roles).not.toContain('manage-account');
  });

  it('[authn:idp-profiles] Auth0: a `|` in the subject keeps the key unambiguous; namespaced claims come via `claims`', () => {
    const p = principalFromClaims(auth0, {
      ...oidc,
      clientIds: ['Xb2fQv9Lr0pT6mZk3HsW1aYc8NdE4uGj'],
      claims: ['https://acme.example/roles', 'https://acme.example/org', 'permissions', 'absent'],
    });
    expect(p.key).toBe('https://acme.eu.auth0.com/|auth0|64f1c0ffee1234567890abcd');
    expect(p.clientId).toBe('Xb2fQv9Lr0pT6mZk3HsW1aYc8NdE4uGj');
    expect(p.scopes).toEqual(['openid', 'profile', 'notes:read', 'notes:write']);
    expect(p.roles).toEqual([]);
    expect(p.claims).toEqual({
      'https://acme.example/roles': ['editor', 'reviewer'],
      'https://acme.example/org': 'org_8f2KdL0pQm',
      permissions: ['notes:read', 'notes:write'],
    });
  });

  it('[authn:idp-profiles] Okta: `cid` client, `scp` array, groups', () => {
    const p = principalFromClaims(okta, { ...oidc, clientIds: ['0oa1b2c3d4E5F6g7h8i9'] });
    expect(p.key).toBe('https://acme.okta.com/oauth2/default|alice@acme.example');
    expect(p.clientId).toBe('0oa1b2c3d4E5F6g7h8i9');
    expect(p.scopes).toEqual(['openid', 'notes.read']);
    expect(p.groups).toEqual(['Everyone', 'MCP Users']);
    expect(p.tenant).toBeUndefined();
  });

  it('[authn:idp-profiles] Entra ID v2 delegated token: tid, azp, space-separated scp, app roles, groups', () => {
    const p = principalFromClaims(entraUser, entra);
    expect(p).toEqual({
      key: `https://login.microsoftonline.com/${TID}/v2.0|AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ`,
      issuer: `https://login.microsoftonline.com/${TID}/v2.0`,
      subject: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      clientId: '1f2e3d4c-5b6a-4789-8a0b-c1d2e3f4a5b6',
      tenant: TID,
      scopes: ['Notes.Read', 'Tools.Call'],
      roles: ['Warden.Admin'],
      groups: ['c5b1f3d2-8a4e-4f6b-9c0d-1e2f3a4b5c6d'],
      expiresAt: EXP,
    });
  });

  it('[authn:idp-profiles] Entra ID v2 app-only token: roles and no scopes; tenant ids compare case-insensitively', () => {
    const p = principalFromClaims(entraApp, { ...entra, tenants: [TID.toUpperCase()] });
    expect(p.scopes).toEqual([]);
    expect(p.roles).toEqual(['Tools.Call.All']);
    expect(p.tenant).toBe(TID);
  });

  it('the entra profile reads neither `scope` nor an `scp` array nor Keycloak role claims', () => {
    const p = principalFromClaims(
      { ...entraUser, scope: 'admin', scp: ['admin'], realm_access: { roles: ['admin'] } },
      entra,
    );
    expect(p.scopes).toEqual([]);
    expect(p.roles).toEqual(['Warden.Admin']);
  });
});

describe('claims that name no acceptable caller', () => {
  const long = 'x'.repeat(1025);
  it.each<[string, unknown, PrincipalPolicy, string]>([
    ['no sub', { ...keycloak, sub: undefined }, oidc, 'subject'],
    ['empty sub', { ...keycloak, sub: '' }, oidc, 'subject'],
    ['numeric sub', { ...keycloak, sub: 42 }, oidc, 'subject'],
    ['array iss', { ...keycloak, iss: [keycloak.iss] }, oidc, 'subject'],
    ['no iss', { ...okta, iss: undefined }, oidc, 'subject'],
    ['`|` in iss (ambiguous key)', { ...keycloak, iss: 'https://a|b' }, oidc, 'subject'],
    ['oversized sub', { ...keycloak, sub: long }, oidc, 'subject'],
    ['claims not an object', ['iss', 'sub'], oidc, 'subject'],
    ['claims null', null, oidc, 'subject'],
    [
      'oidc: numeric azp, even beside a good client_id',
      { ...keycloak, azp: 42, client_id: 'ok' },
      oidc,
      'client',
    ],
    ['oidc: empty azp', { ...keycloak, azp: '' }, oidc, 'client'],
    ['oidc: client outside the allowlist', keycloak, { ...oidc, clientIds: ['other'] }, 'client'],
    [
      'oidc: no client claim with an allowlist',
      { ...auth0, azp: undefined },
      { ...oidc, clientIds: ['x'] },
      'client',
    ],
    ['okta: cid outside the allowlist', okta, { ...oidc, clientIds: ['0oaOTHER'] }, 'client'],
    ['entra: tid outside the allowlist', { ...entraUser, tid: OTHER_TID }, entra, 'tenant'],
    ['entra: tid as an array', { ...entraUser, tid: [TID] }, entra, 'tenant'],
    ['entra: no tid', { ...entraUser, tid: undefined }, entra, 'tenant'],
    ['entra: empty tenant list refuses all', entraUser, { ...entra, tenants: [] }, 'tenant'],
    [
      'entra: allowed tid but the issuer names another tenant',
      { ...entraUser, iss: `https://login.microsoftonline.com/${OTHER_TID}/v2.0` },
      { ...entra, tenants: [TID, 'other'] },
      'tenant',
    ],
    [
      'entra: v1 token (appid, no azp)',
      {
        ...entraUser,
        iss: `https://sts.windows.net/${TID}/`,
        azp: undefined,
        appid: entraUser.azp,
        ver: '1.0',
      },
      entra,
      'client',
    ],
    [
      'entra: client_id does not stand in for azp',
      { ...entraApp, azp: undefined, client_id: 'x' },
      entra,
      'client',
    ],
    ['entra: azp outside the allowlist', entraApp, { ...entra, clientIds: [entraUser.azp] }, 'client'],
  ])('[authn:idp-profiles] %s → ERR_AUTHN_TOKEN_INVALID (%#)', (_name, claims, policy, reason) => {
    expect(refusal(claims, policy)).toBe(reason);
  });
});

describe('hostile claim types grant nothing', () => {
  it('a numeric scope, a string `roles`, non-string items and object-shaped role containers are ignored', () => {
    const p = principalFromClaims(
      {
        iss: 'https://kc.example/realms/acme',
        sub: 'mallory',
        scope: 42,
        scp: { admin: true },
        roles: 'admin',
        realm_access: ['admin'],
        resource_access: { c: 'admin' },
        azp: 'c',
        groups: ['ok', 7, null, { g: 1 }, ''],
        exp: 'tomorrow',
      },
      oidc,
    );
    expect(p.scopes).toEqual([]);
    expect(p.roles).toEqual([]);
    expect(p.groups).toEqual(['ok']);
    expect(p.expiresAt).toBeUndefined();
  });

  it('prototype keys from a parsed token are data, never inherited roles or scopes', () => {
    const claims = JSON.parse(
      `{"iss":"https://kc.example/realms/acme","sub":"mallory","azp":"__proto__",
        "__proto__":{"roles":["admin"],"scope":"admin"},
        "realm_access":{"__proto__":{"roles":["admin"]}},
        "resource_access":{"x":{"roles":["admin"]}}}`,
    ) as Record<string, unknown>;
    const p = principalFromClaims(claims, { ...oidc, claims: ['__proto__', 'constructor', 'toString'] });
    expect(p.roles).toEqual([]);
    expect(p.scopes).toEqual([]);
    expect(p.clientId).toBe('__proto__');
    // An object is not a copyable claim, and inherited names are never read.
    expect(p.claims).toEqual({});
    expect(Object.getPrototypeOf(p.claims)).toBe(Object.prototype);
  });

  it('a claim named `__proto__` is copied as a plain key and does not change the prototype', () => {
    const claims = JSON.parse('{"iss":"https://i.example","sub":"s","__proto__":["a","b"]}') as Record<
      string,
      unknown
    >;
    const p = principalFromClaims(claims, { ...oidc, claims: ['__proto__'] });
    expect(Object.getOwnPropertyNames(p.claims)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(p.claims)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(p.claims, '__proto__')?.value).toEqual(['a', 'b']);
  });

  it('claims are read by own key only: a polluted Object.prototype grants nothing', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const planted = {
      sub: 'planted',
      tid: TID,
      azp: 'planted',
      scope: 'admin',
      scp: 'admin',
      roles: ['admin'],
      groups: ['admins'],
      dept: 'planted',
    };
    Object.assign(proto, planted);
    try {
      const p = principalFromClaims(
        { iss: 'https://kc.example/realms/acme', sub: 'mallory', realm_access: {}, resource_access: {} },
        { ...oidc, claims: ['dept'] },
      );
      expect(p.scopes).toEqual([]);
      expect(p.roles).toEqual([]);
      // Read through hasOwn: the test's own property reads would see the planted values too.
      expect(Object.hasOwn(p, 'groups')).toBe(false);
      expect(Object.hasOwn(p, 'clientId')).toBe(false);
      expect(Object.hasOwn(p.claims ?? {}, 'dept')).toBe(false);
      expect(refusal({ iss: entraUser.iss }, entra)).toBe('subject');
      expect(refusal({ iss: entraUser.iss, sub: 's' }, entra)).toBe('tenant');
    } finally {
      for (const k of Object.keys(planted)) delete proto[k];
    }
  });

  it('chosen claims: primitives and small primitive arrays are copied; long, large or nested values are dropped whole', () => {
    const ok = 'y'.repeat(MAX_CLAIM_CHARS);
    const p = principalFromClaims(
      {
        iss: 'https://i.example',
        sub: 's',
        dept: 'r&d',
        level: 3,
        admin: false,
        nothing: null,
        edge: ok,
        tooLong: `${ok}y`,
        list: Array.from({ length: MAX_CLAIM_ITEMS }, (_, i) => i),
        tooMany: Array.from({ length: MAX_CLAIM_ITEMS + 1 }, (_, i) => i),
        listWithLong: ['a', `${ok}y`],
        nested: { a: 1 },
        listOfObjects: [{ a: 1 }],
      },
      {
        ...oidc,
        claims: [
          'dept',
          'level',
          'admin',
          'nothing',
          'edge',
          'tooLong',
          'list',
          'tooMany',
          'listWithLong',
          'nested',
          'listOfObjects',
        ],
      },
    );
    expect(p.claims).toEqual({
      dept: 'r&d',
      level: 3,
      admin: false,
      nothing: null,
      edge: ok,
      list: Array.from({ length: MAX_CLAIM_ITEMS }, (_, i) => i),
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.claims)).toBe(true);
  });

  it('duplicate scopes and roles are listed once', () => {
    const p = principalFromClaims(
      { ...keycloak, scope: 'a a b', scp: ['b', 'c'], roles: ['r'], realm_access: { roles: ['r', 's'] } },
      oidc,
    );
    expect(p.scopes).toEqual(['a', 'b', 'c']);
    expect(p.roles).toEqual(['r', 's', 'tools-admin']);
  });
});

describe('policy checks at start-up', () => {
  it('the entra profile without tenants, or tenants on the oidc profile, is a config error at auth.tenants', () => {
    for (const bad of [
      { ...entra, tenants: [] },
      { ...oidc, tenants: [TID] },
    ]) {
      try {
        checkPrincipalPolicy(bad);
        throw new Error('policy was accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(WardenError);
        expect((err as WardenError).code).toBe('ERR_CONFIG_INVALID');
        expect((err as WardenError).data?.problems).toEqual([
          { path: 'auth.tenants', message: expect.any(String) as string },
        ]);
      }
    }
    expect(checkPrincipalPolicy(entra)).toBe(entra);
    expect(checkPrincipalPolicy(oidc)).toBe(oidc);
  });
});

describe('property: any input yields a principal or a coded refusal', () => {
  const names = fc.constantFrom(
    'iss',
    'sub',
    'tid',
    'azp',
    'client_id',
    'cid',
    'scope',
    'scp',
    'roles',
    'groups',
    'realm_access',
    'resource_access',
    'exp',
    '__proto__',
    'constructor',
    'toString',
  );
  const value = fc.oneof(
    fc.anything(),
    fc.constant('https://login.microsoftonline.com/t/v2.0'),
    fc.constant('t'),
    fc.constant({ roles: ['r', 1] }),
    fc.constant({ c: { roles: ['r'] } }),
  );
  const policy = fc.record({
    profile: fc.constantFrom('oidc' as const, 'entra' as const),
    tenants: fc.array(fc.constantFrom('t', 'T', '')),
    clientIds: fc.array(fc.constantFrom('c', 't', '__proto__')),
    claims: fc.array(names),
  });

  it('never throws anything but ERR_AUTHN_TOKEN_INVALID, and accepted claims always yield string lists', () => {
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(names, value), fc.anything()), policy, (claims, pol) => {
        try {
          const p = principalFromClaims(claims as Record<string, unknown>, pol);
          expect(p.key).toBe(`${p.issuer}|${p.subject}`);
          for (const list of [p.scopes, p.roles, p.groups ?? []])
            for (const s of list) expect(typeof s).toBe('string');
          if (pol.profile === 'entra') expect(typeof p.tenant).toBe('string');
        } catch (err) {
          if (!(err instanceof WardenError) || err.code !== 'ERR_AUTHN_TOKEN_INVALID') throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
