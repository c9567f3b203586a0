/**
 * The JWT verifier attacked row by row: each hostile token gets its exact refusal (code and
 * reason); a well-formed token for this endpoint passes. Keys are real, made with jose.
 */
import { KeyObject, createHmac, sign as cryptoSign } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { JWK, JWTPayload, JWTVerifyGetKey, CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { canonicalResource, verifyAccessToken } from '../../src/stages/authn/jwt.js';
import type { JwtPolicy } from '../../src/stages/authn/jwt.js';

const ISS = 'https://issuer.example';
const RESOURCE = 'https://warden.example/mcp/notes';
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const NOW_S = Math.floor(NOW / 1000);

let es: { privateKey: CryptoKey; publicKey: CryptoKey };
let rs: { privateKey: CryptoKey; publicKey: CryptoKey };
let attacker: { privateKey: CryptoKey; publicKey: CryptoKey };
let attackerJwk: JWK;
let keys: JWTVerifyGetKey;
let policy: JwtPolicy;

beforeAll(async () => {
  es = await generateKeyPair('ES256', { extractable: true });
  rs = await generateKeyPair('RS256', { extractable: true });
  attacker = await generateKeyPair('ES256', { extractable: true });
  attackerJwk = await exportJWK(attacker.publicKey);
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256' };
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256' };
  keys = createLocalJWKSet({ keys: [esJwk, rsJwk] });
  policy = { issuers: [ISS], algorithms: ['ES256', 'RS256'], keys, maxAgeSec: 3600, typ: 'at+jwt' };
});

function claims(extra: JWTPayload = {}): JWTPayload {
  return { iss: ISS, sub: 'alice', aud: RESOURCE, iat: NOW_S - 10, exp: NOW_S + 600, ...extra };
}

async function sign(
  payload: JWTPayload,
  header: Record<string, unknown> = {},
  key: CryptoKey = es.privateKey,
  alg = 'ES256',
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid: alg === 'RS256' ? 'rs-1' : 'es-1', typ: 'at+jwt', ...header })
    .sign(key);
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

async function refusal(
  token: string,
  resource = RESOURCE,
  p: JwtPolicy = policy,
): Promise<{ code: string; reason: unknown }> {
  try {
    await verifyAccessToken(token, resource, p, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const we = err as WardenError;
    expect(we.status).toBe(401);
    return { code: we.code, reason: we.data?.reason };
  }
  throw new Error('token was accepted');
}

describe('JWT access-token verification', () => {
  it('accepts a well-formed ES256 or RS256 token for this endpoint', async () => {
    const ok = await verifyAccessToken(await sign(claims()), RESOURCE, policy, NOW);
    expect(ok.claims.sub).toBe('alice');
    const rsOk = await verifyAccessToken(
      await sign(claims(), {}, rs.privateKey, 'RS256'),
      RESOURCE,
      policy,
      NOW,
    );
    expect(rsOk.header.alg).toBe('RS256');
  });

  it('compares audiences as canonical resource URIs (case of scheme and host, trailing slash)', async () => {
    expect(canonicalResource('HTTPS://Warden.Example:443/mcp/notes/')).toBe(RESOURCE);
    await expect(
      verifyAccessToken(
        await sign(claims({ aud: 'https://WARDEN.example/mcp/notes/' })),
        RESOURCE,
        policy,
        NOW,
      ),
    ).resolves.toBeDefined();
  });

  const rows: [string, () => string | Promise<string>, string, string][] = [
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`,
      'ERR_AUTHN_TOKEN_INVALID',
      'algorithm',
    ],
    [
      'HS256 signed with the RSA public key as secret',
      async () => {
        const pem = await exportSPKI(rs.publicKey);
        const head = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'rs-1' })}.${b64(claims())}`;
        return `${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`;
      },
      'ERR_AUTHN_TOKEN_INVALID',
      'algorithm',
    ],
    [
      'jku pointing at an attacker key set',
      async () => sign(claims(), { jku: 'https://evil.example/jwks' }, attacker.privateKey),
      'ERR_AUTHN_TOKEN_INVALID',
      'header-key',
    ],
    [
      'x5u pointing at an attacker certificate',
      async () => sign(claims(), { x5u: 'https://evil.example/cert.pem' }, attacker.privateKey),
      'ERR_AUTHN_TOKEN_INVALID',
      'header-key',
    ],
    [
      'jwk embedding the attacker key',
      async () => sign(claims(), { jwk: attackerJwk }, attacker.privateKey),
      'ERR_AUTHN_TOKEN_INVALID',
      'header-key',
    ],
    [
      'kid of a key Warden does not have',
      async () => sign(claims(), { kid: '../../etc/passwd' }, attacker.privateKey),
      'ERR_AUTHN_TOKEN_INVALID',
      'signature',
    ],
    [
      'known kid, signed by the attacker',
      async () => sign(claims(), {}, attacker.privateKey),
      'ERR_AUTHN_TOKEN_INVALID',
      'signature',
    ],
    ['expired', async () => sign(claims({ exp: NOW_S - 3600 })), 'ERR_AUTHN_TOKEN_EXPIRED', 'expired'],
    [
      'nbf in the future',
      async () => sign(claims({ nbf: NOW_S + 3600 })),
      'ERR_AUTHN_TOKEN_INVALID',
      'not-yet-valid',
    ],
    [
      'iat in the future',
      async () => sign(claims({ iat: NOW_S + 3600 })),
      'ERR_AUTHN_TOKEN_INVALID',
      'issued-in-future',
    ],
    [
      'older than the maximum age',
      async () => sign(claims({ iat: NOW_S - 7200 })),
      'ERR_AUTHN_TOKEN_EXPIRED',
      'too-old',
    ],
    [
      'wrong issuer',
      async () => sign(claims({ iss: 'https://evil.example' })),
      'ERR_AUTHN_TOKEN_INVALID',
      'issuer',
    ],
    [
      'wrong audience',
      async () => sign(claims({ aud: 'https://other.example/mcp' })),
      'ERR_AUTHN_AUDIENCE',
      'audience',
    ],
    ['missing audience', async () => sign(claims({ aud: undefined })), 'ERR_AUTHN_AUDIENCE', 'audience'],
    [
      'audience list without Warden',
      async () => sign(claims({ aud: ['https://a.example', 'https://b.example'] })),
      'ERR_AUTHN_AUDIENCE',
      'audience',
    ],
    [
      'token for another Warden endpoint',
      async () => sign(claims({ aud: 'https://warden.example/mcp/other' })),
      'ERR_AUTHN_AUDIENCE',
      'audience',
    ],
    ['missing exp', async () => sign(claims({ exp: undefined })), 'ERR_AUTHN_TOKEN_INVALID', 'claims'],
    ['wrong typ', async () => sign(claims(), { typ: 'JWT' }), 'ERR_AUTHN_TOKEN_INVALID', 'typ'],
    [
      'unknown crit',
      // jose will not sign an unknown crit, so the attacker's token is signed by hand (validly, with Warden's key).
      () => {
        const head = `${b64({ alg: 'ES256', kid: 'es-1', typ: 'at+jwt', crit: ['x-evil'], 'x-evil': true })}.${b64(claims())}`;
        const sig = cryptoSign('sha256', Buffer.from(head), {
          key: KeyObject.from(es.privateKey),
          dsaEncoding: 'ieee-p1363',
        });
        return `${head}.${sig.toString('base64url')}`;
      },
      'ERR_AUTHN_TOKEN_INVALID',
      'crit',
    ],
    ['oversized', async () => sign(claims({ pad: 'x'.repeat(10_000) })), 'ERR_AUTHN_TOKEN_INVALID', 'size'],
    ['malformed segments', () => 'not.a.jwt', 'ERR_AUTHN_TOKEN_INVALID', 'malformed'],
    [
      'two segments',
      () => `${b64({ alg: 'ES256' })}.${b64(claims())}`,
      'ERR_AUTHN_TOKEN_INVALID',
      'malformed',
    ],
  ];

  for (const [name, make, code, reason] of rows) {
    it(`refuses: ${name}`, async () => {
      expect(await refusal(await make())).toEqual({ code, reason });
    });
  }
});
