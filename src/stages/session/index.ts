/**
 * The session stage (2025 era): every message but initialize must name a live session of the
 * calling principal. Missing id → 400; unknown, expired, deleted or another principal's → 404.
 * A session is never proof of identity: it is looked up under the principal the token named.
 */
import { WardenError } from '../../core/errors.js';
import type { Exchange, SessionRef, Stage } from '../../core/exchange.js';
import { isRequest } from '../../core/jsonrpc.js';

/** Looks a session up under a principal key; undefined when unknown to that principal. */
export type SessionLookup = (principalKey: string, id: string) => SessionRef | undefined;

/** The session id header value of an exchange, or undefined. */
export function sessionHeader(ex: Exchange): string | undefined {
  const v = ex.http?.headers['mcp-session-id'];
  return Array.isArray(v) ? v[0] : v;
}

/** Resolves the session of a 2025-era exchange, or throws the coded refusal. */
export function verifySession(ex: Exchange, lookup: SessionLookup, id: string | undefined): SessionRef {
  if (id === undefined || id === '') throw new WardenError('ERR_SESSION_MISSING');
  // Ids Warden mints are base64url; anything else cannot be one of ours.
  if (id.length > 128 || !/^[\x21-\x7e]+$/.test(id)) throw new WardenError('ERR_SESSION_UNKNOWN');
  const s = lookup(ex.principal.key, id);
  // The store is keyed by principal already; checking the owner again costs nothing.
  if (s === undefined || s.endpoint !== ex.endpoint || s.principal.key !== ex.principal.key) {
    throw new WardenError('ERR_SESSION_UNKNOWN');
  }
  return s;
}

/** Builds the session stage over a lookup. On stdio the transport resolves the session itself. */
export function sessionStage(lookup: SessionLookup): Stage {
  return {
    name: 'session',
    request(ex) {
      if (ex.era !== 'legacy' || ex.transport !== 'http') return;
      if (isRequest(ex.message) && ex.message.method === 'initialize') return;
      const s = verifySession(ex, lookup, sessionHeader(ex));
      ex.session = s;
      ex.sessionId = s.id;
    },
  };
}
