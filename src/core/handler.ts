/**
 * The contract between transports and the pipeline: transports are handed a Handler and never
 * import the pipeline itself.
 */
import type { ClientChannel, ClientSink } from './channel.js';
import type { AuditRecord, HttpFacts, SessionRef } from './exchange.js';
import type { JsonRpcMessage } from './jsonrpc.js';

/** An MCP endpoint: its path, the servers it reaches, and whether it aggregates them. */
export interface EndpointSpec {
  readonly path: string;
  readonly servers: readonly string[];
  readonly aggregate: boolean;
}

/** What a transport passes in for one message. */
export interface Inbound {
  readonly transport: 'http' | 'stdio';
  readonly endpoint: EndpointSpec;
  readonly http: HttpFacts | undefined;
  readonly message: JsonRpcMessage;
  /** stdio: the session the connection already holds. */
  readonly session?: SessionRef;
}

/** The pipeline as transports see it. */
export interface Handler {
  /** Endpoint served at an HTTP path, or undefined. */
  endpointOf(path: string): EndpointSpec | undefined;
  /** Transport checks that run before the body is read (HTTP). */
  head(facts: HttpFacts): void;
  /**
   * Runs one message; always ends with exactly one of channel.end/reject/accept. Resolves with the
   * session the exchange ran in (a new one after initialize), for connection-bound transports.
   */
  handle(
    inbound: Inbound,
    channel: ClientChannel,
    sinkFor: (sessionId: string) => ClientSink,
  ): Promise<SessionRef | undefined>;
  /** Resolves the live session of a GET/DELETE (runs the guard, authentication and the session checks). */
  sessionFor(endpoint: EndpointSpec, facts: HttpFacts): Promise<SessionRef>;
  /** A public well-known document (RFC 9728 protected-resource metadata) for a path, or undefined. */
  wellKnown(path: string): object | undefined;
  /** Ends a session (client DELETE, or the stdio client went away). */
  endSession(session: SessionRef): void;
  /** Writes an audit record for an HTTP-level exchange (GET, DELETE, refusals before parsing). */
  auditHttp(
    endpoint: string,
    facts: HttpFacts,
    outcome: AuditRecord['outcome'],
    code?: string,
    status?: number,
    session?: SessionRef,
  ): void;
}
