/**
 * Opening sessions: the 2025-era initialize handshake (connect the endpoint's upstreams, answer
 * with their merged capabilities) and the 2026-era server/discover answer.
 */
import { WardenError } from '../core/errors.js';
import type { Principal } from '../core/exchange.js';
import type { EndpointSpec } from '../core/handler.js';
import type { JsonRpcRequest } from '../core/jsonrpc.js';
import { LATEST_LEGACY, LEGACY_VERSIONS, SUPPORTED_VERSIONS } from '../core/protocol.js';
import type { Logger } from '../core/log.js';
import { ClientSession } from './session.js';
import type { OutboundHook } from './session.js';
import type { Upstreams } from './upstreams.js';

/** Warden's own identity in aggregate answers. */
export interface WardenIdentity {
  readonly name: string;
  readonly version: string;
}

function objectOr(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The protocol version Warden answers an initialize with. */
export function negotiate(requested: unknown): string {
  return typeof requested === 'string' && (LEGACY_VERSIONS as readonly string[]).includes(requested)
    ? requested
    : LATEST_LEGACY;
}

/** Merges the capabilities of several servers for the aggregate endpoint. */
export function mergeCapabilities(all: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const caps of all) {
    for (const key of ['tools', 'prompts', 'resources'] as const) {
      const c = caps[key];
      if (c === undefined) continue;
      const prev = objectOr(out[key]);
      const cur = objectOr(c);
      const merged: Record<string, unknown> = { ...prev };
      // listChanged/subscribe are true for the aggregate when any member has them.
      for (const f of ['listChanged', 'subscribe']) if (cur[f] === true) merged[f] = true;
      out[key] = merged;
    }
    if (caps.logging !== undefined) out.logging = {};
    if (caps.completions !== undefined) out.completions = {};
  }
  return out;
}

/**
 * Handles initialize: connects every server of the endpoint with the client's hello and returns
 * the session and the InitializeResult. On the aggregate endpoint a server that fails to connect
 * is left out (and logged) unless all fail. `subjectToken` is the caller's validated token, for
 * upstreams whose credential is a token exchange.
 */
export async function openSession(
  id: string,
  principal: Principal,
  endpoint: EndpointSpec,
  req: JsonRpcRequest,
  upstreams: Upstreams,
  outbound: OutboundHook,
  identity: WardenIdentity,
  log: Logger,
  subjectToken?: string,
): Promise<{ session: ClientSession; result: Record<string, unknown> }> {
  const p = req.params ?? {};
  const version = negotiate(p.protocolVersion);
  const clientInfo = objectOr(p.clientInfo);
  const session = new ClientSession(
    {
      id,
      principal,
      endpoint: endpoint.path,
      servers: endpoint.servers,
      aggregate: endpoint.aggregate,
      era: 'legacy',
      protocolVersion: version,
      hello: { protocolVersion: version, capabilities: objectOr(p.capabilities), clientInfo },
      subjectToken,
    },
    upstreams,
    outbound,
  );
  const results = await Promise.allSettled(endpoint.servers.map((s) => session.lease(s)));
  const failed = results
    .map((r, i) => ({ r, server: endpoint.servers[i] ?? '' }))
    .filter((x): x is { r: PromiseRejectedResult; server: string } => x.r.status === 'rejected');
  for (const f of failed)
    log.warn('upstream connect failed', { server: f.server, error: String(f.r.reason) });
  if (failed.length === results.length && results.length > 0) {
    await session.close();
    const first: unknown = failed[0]?.r.reason;
    throw first instanceof WardenError
      ? first
      : new WardenError('ERR_UPSTREAM_UNAVAILABLE', undefined, { cause: first });
  }
  return { session, result: initializeResult(session, endpoint, identity, version) };
}

function initializeResult(
  session: ClientSession,
  endpoint: EndpointSpec,
  identity: WardenIdentity,
  version: string,
): Record<string, unknown> {
  if (!endpoint.aggregate) {
    const server = endpoint.servers[0] ?? '';
    const info = session.infoOf(server);
    const r: Record<string, unknown> = {
      protocolVersion: version,
      capabilities: info?.capabilities ?? {},
      serverInfo: info?.serverInfo ?? { name: server, version: '0' },
    };
    if (info?.instructions !== undefined) r.instructions = info.instructions;
    return r;
  }
  const connected = session.connected;
  const caps = mergeCapabilities(connected.map((s) => session.infoOf(s)?.capabilities ?? {}));
  const parts = connected
    .map((s) => ({ s, text: session.infoOf(s)?.instructions }))
    .filter((x): x is { s: string; text: string } => typeof x.text === 'string' && x.text !== '')
    .map((x) => `## ${x.s} (names prefixed ${x.s}__)\n${x.text}`);
  const r: Record<string, unknown> = {
    protocolVersion: version,
    capabilities: caps,
    serverInfo: { name: identity.name, title: 'Warden MCP gateway', version: identity.version },
  };
  if (parts.length > 0) r.instructions = parts.join('\n\n');
  return r;
}

/** The 2026-07-28 server/discover result for an endpoint (connecting shared upstreams as needed). */
export async function discover(
  session: ClientSession,
  endpoint: EndpointSpec,
  identity: WardenIdentity,
): Promise<Record<string, unknown>> {
  await Promise.allSettled(endpoint.servers.map((s) => session.lease(s)));
  const base = initializeResult(session, endpoint, identity, LATEST_LEGACY);
  const serverInfo = objectOr(base.serverInfo);
  const out: Record<string, unknown> = {
    resultType: 'complete',
    ttlMs: 0,
    cacheScope: 'private',
    supportedVersions: [...SUPPORTED_VERSIONS],
    capabilities: base.capabilities,
    _meta: {
      'io.modelcontextprotocol/serverInfo': { name: identity.name, version: identity.version, ...serverInfo },
    },
  };
  if (base.instructions !== undefined) out.instructions = base.instructions;
  return out;
}
