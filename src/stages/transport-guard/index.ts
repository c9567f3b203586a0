/**
 * The transport guard: DNS-rebinding defences (Host allowlist, Origin check), content
 * negotiation (406/415), the body cap (413, checked before reading), and the protocol-version and
 * 2026-07-28 header/body agreement rules (400). Pure checks that throw coded errors.
 */
import { WardenError } from '../../core/errors.js';
import type { Exchange, HttpFacts, Stage } from '../../core/exchange.js';
import { isRequest } from '../../core/jsonrpc.js';
import {
  NAME_SOURCE,
  SUPPORTED_VERSIONS,
  decodeHeaderValue,
  declaredVersion,
  eraOf,
  isVersionShaped,
} from '../../core/protocol.js';

/** Settings the guard is built from. */
export interface GuardConfig {
  readonly allowedHosts: ReadonlySet<string>;
  readonly allowedOrigins: ReadonlySet<string>;
  /** Warden's own origin (always allowed). */
  readonly selfOrigin: string;
  readonly maxRequestBytes: number;
}

function header(facts: HttpFacts, name: string): string | undefined {
  const v = facts.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** transport:host-allowlist — the Host header must be one Warden answers to. */
export function verifyHost(facts: HttpFacts, cfg: GuardConfig): void {
  const host = header(facts, 'host')?.toLowerCase();
  if (host === undefined || !cfg.allowedHosts.has(host)) {
    throw new WardenError('ERR_TRANSPORT_HOST', 'Host not allowed', {
      data: { host: host?.slice(0, 255) ?? null },
    });
  }
}

/** transport:origin-403 — a present Origin must be allowed; an absent one is not refused. */
export function verifyOrigin(facts: HttpFacts, cfg: GuardConfig): void {
  const origin = header(facts, 'origin');
  if (origin === undefined) return;
  if (origin === cfg.selfOrigin || cfg.allowedOrigins.has(origin)) return;
  throw new WardenError('ERR_TRANSPORT_ORIGIN', 'Origin not allowed', {
    data: { origin: origin.slice(0, 255) },
  });
}

/** transport:accept-406 / transport:content-type-415 / transport:body-cap (declared length). */
export function verifyNegotiation(facts: HttpFacts, cfg: GuardConfig): void {
  // Media types are case-insensitive (RFC 9110 §8.3.1).
  const accept = (header(facts, 'accept') ?? '').toLowerCase();
  if (facts.method === 'POST') {
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      throw new WardenError('ERR_TRANSPORT_ACCEPT');
    }
    const ct = (header(facts, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (ct !== 'application/json') throw new WardenError('ERR_TRANSPORT_CONTENT_TYPE');
    const len = header(facts, 'content-length');
    if (len !== undefined && Number(len) > cfg.maxRequestBytes) {
      throw new WardenError('ERR_TRANSPORT_BODY_TOO_LARGE', undefined, {
        data: { limit: cfg.maxRequestBytes },
      });
    }
  } else if (facts.method === 'GET') {
    if (!accept.includes('text/event-stream')) throw new WardenError('ERR_TRANSPORT_ACCEPT');
  }
}

function unsupported(requested: string): WardenError {
  return new WardenError('ERR_TRANSPORT_PROTOCOL_VERSION', 'Unsupported protocol version', {
    data: { supported: [...SUPPORTED_VERSIONS], requested: requested.slice(0, 64) },
  });
}

function mismatch(what: string): WardenError {
  return new WardenError('ERR_TRANSPORT_HEADER_MISMATCH', `Header mismatch: ${what}`, {
    data: { header: what.split(' ')[0] },
  });
}

/**
 * transport:protocol-version-400 and transport:header-mismatch-400: decides the exchange's era and
 * version from the MCP-Protocol-Version header and the body, and checks that they agree.
 */
export function verifyVersionHeaders(ex: Exchange): void {
  const facts = ex.http;
  const msg = ex.message;
  if (isRequest(msg) && msg.method === 'initialize') {
    ex.era = 'legacy';
    return;
  }
  const headerVersion = facts === undefined ? undefined : header(facts, 'mcp-protocol-version')?.trim();
  const bodyVersion = 'method' in msg ? declaredVersion(msg) : undefined;
  if (headerVersion !== undefined && !isVersionShaped(headerVersion)) throw unsupported(headerVersion);
  const headerEra = headerVersion === undefined ? undefined : eraOf(headerVersion);
  if (headerVersion !== undefined && headerEra === undefined) throw unsupported(headerVersion);
  if (bodyVersion !== undefined || headerEra === 'modern') {
    ex.era = 'modern';
    if (bodyVersion === undefined) {
      // 2026-07-28 defines no header rules for notification POSTs; requests must carry _meta.
      if (!isRequest(msg)) {
        ex.protocolVersion = headerVersion;
        return;
      }
      throw mismatch('MCP-Protocol-Version names a 2026 revision but the body has no _meta protocol version');
    }
    if (facts !== undefined) {
      if (headerVersion === undefined) throw mismatch('MCP-Protocol-Version header missing');
      if (headerVersion !== bodyVersion)
        throw mismatch(
          `MCP-Protocol-Version '${headerVersion}' does not match body '${bodyVersion.slice(0, 64)}'`,
        );
    }
    if (eraOf(bodyVersion) !== 'modern') throw unsupported(bodyVersion);
    ex.protocolVersion = bodyVersion;
    if (facts !== undefined && isRequest(msg)) verifyMirroredHeaders(facts, msg.method, msg.params);
    return;
  }
  ex.era = 'legacy';
  // A client older than 2025-06-18 sends no version header; the spec says to assume 2025-03-26.
  ex.protocolVersion = headerVersion ?? '2025-03-26';
}

function verifyMirroredHeaders(
  facts: HttpFacts,
  method: string,
  params: Record<string, unknown> | undefined,
): void {
  const m = header(facts, 'mcp-method');
  if (m === undefined) throw mismatch('Mcp-Method header missing');
  if (m !== method)
    throw mismatch(`Mcp-Method '${m.slice(0, 64)}' does not match body '${method.slice(0, 64)}'`);
  const field = NAME_SOURCE[method];
  if (field === undefined) return;
  const raw = header(facts, 'mcp-name');
  if (raw === undefined) throw mismatch('Mcp-Name header missing');
  const decoded = decodeHeaderValue(raw);
  if (decoded === undefined) throw mismatch('Mcp-Name header has invalid characters');
  if (decoded !== params?.[field]) throw mismatch(`Mcp-Name does not match body ${field}`);
}

/** Builds the guard stage; `head` runs before the body is read. */
export function transportGuard(cfg: GuardConfig): Stage & { head(facts: HttpFacts): void } {
  return {
    name: 'transport-guard',
    head(facts) {
      verifyHost(facts, cfg);
      verifyOrigin(facts, cfg);
      verifyNegotiation(facts, cfg);
    },
    request: verifyVersionHeaders,
  };
}
