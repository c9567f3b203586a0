/**
 * End to end with the official MCP SDK client and its OAuth support: the first request gets 401,
 * the client follows `resource_metadata` to Warden's RFC 9728 document, discovers the test
 * authorization server, gets a token for Warden's endpoint (client credentials, RFC 8707
 * `resource`), and lists and calls tools through Warden; the upstream never sees that token.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../../fixtures/servers/recording-http.js';
import { startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';

let issuer: TestIssuer;
let upstream: RecordingUpstream;
let warden: TestWarden;

beforeAll(async () => {
  issuer = await startTestIssuer();
  upstream = await startRecordingUpstream();
  warden = await startTestWarden({
    auth: {
      mode: 'jwt',
      issuer: issuer.url,
      jwksUri: `${issuer.origin}/jwks`,
      scopesSupported: ['mcp:tools'],
    },
    servers: { rec: { url: upstream.url } },
  });
});

afterAll(async () => {
  await warden?.close();
  await upstream?.close();
  await issuer?.close();
});

describe('official SDK client through Warden with OAuth', () => {
  it('[authn:prm] [authn:challenge-401] 401 → metadata discovery → token → tools listed and called', async () => {
    const endpoint = new URL(`${warden.url}/mcp/rec`);
    const provider = new ClientCredentialsProvider({
      clientId: 'sdk-client',
      clientSecret: 'sdk-secret',
      scope: 'mcp:tools',
    });
    const seen: { url: string; status: number }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      seen.push({ url: input instanceof Request ? input.url : String(input), status: res.status });
      return res;
    };
    const transport = new StreamableHTTPClientTransport(endpoint, {
      authProvider: provider,
      fetch: recordingFetch,
    });
    const client = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('echo');
      const out = await client.callTool({ name: 'echo', arguments: { text: 'through Warden' } });
      expect(JSON.stringify(out.content)).toContain('through Warden');
    } finally {
      await client.close();
    }

    // The flow really happened: a 401 from Warden, its metadata, then the issuer's token endpoint.
    const first = seen.findIndex((s) => s.url.startsWith(endpoint.href) && s.status === 401);
    const prm = seen.findIndex((s) => s.url.includes('/.well-known/oauth-protected-resource/mcp/rec'));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(prm).toBeGreaterThan(first);
    const tokenReq = issuer.requests.find((r) => r.path === '/token');
    expect(tokenReq).toBeDefined();
    expect(new URLSearchParams(tokenReq?.body).get('resource')).toBe(endpoint.href);
    const token = provider.tokens()?.access_token ?? '';
    expect(decodeJwt(token).aud).toBe(endpoint.href);

    // The client's token never reached the upstream.
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const r of upstream.requests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(JSON.stringify(r.headers)).not.toContain(token);
    }
    const principals = new Set(
      warden
        .audit()
        .filter((r) => r.outcome === 'ok')
        .map((r) => r.principal),
    );
    expect(principals).toEqual(new Set([`${issuer.url}|sdk-client`]));
  });
});
