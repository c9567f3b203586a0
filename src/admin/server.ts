/**
 * The admin API listener: approvals and just-in-time elevation, on its own loopback port,
 * separate from the data plane. Every request carries a bearer token checked by the same
 * authentication as the data plane (audience `<publicUrl>/admin`); listing and deciding need the
 * approver role, requesting an elevation for oneself needs only a valid token. JSON in and out;
 * every request is audited, refused ones included.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WardenError, toWardenError } from '../core/errors.js';
import { ANONYMOUS } from '../core/exchange.js';
import type { AuditRecord, HttpFacts, Principal } from '../core/exchange.js';
import type { Logger } from '../core/log.js';
import type { ApprovalQueue } from '../store/approvals.js';
import type { ElevationStore } from '../store/elevations.js';
import { ADMIN_ENDPOINT, adminRecord } from './audit.js';
import type { AdminEvent } from './audit.js';
import { parseElevationRequest } from './body.js';
import { answerPins, pinRouteOf } from './pins.js';
import type { PinChange, PinStore } from '../store/pins.js';

/** Checks a request's bearer token; resolves with the principal or throws a coded refusal (the Authn stage's `authenticate`). */
export type AdminAuthenticate = (facts: HttpFacts, endpointPath: string) => Promise<{ principal: Principal }>;

/** What the admin listener needs, wired by server.ts. */
export interface AdminDeps {
  readonly authenticate: AdminAuthenticate;
  readonly approvals: ApprovalQueue;
  readonly elevations: ElevationStore;
  /** Pinned definitions and pending changes (`/pins` routes, docs/integrity.md). */
  readonly pins?: PinStore;
  /** Called after a pin change was approved (the gateway tells clients to list again). */
  readonly onPinApproved?: (change: PinChange) => void;
  readonly audit: (record: AuditRecord) => void;
  /** Role a token must carry to list and decide (`admin.approverRole`). */
  readonly approverRole: string;
  /** Longest elevation that may be requested, in seconds (`admin.maxElevationSec`). */
  readonly maxElevationSec: number;
  readonly log: Logger;
}

/** A running admin listener. */
export interface AdminListener {
  /** Base URL, `http://host:port`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest admin request body, in bytes. */
export const MAX_ADMIN_BODY = 16 * 1024;

const ROUTE = /^\/(approvals|elevations)(?:\/([A-Za-z0-9_-]{1,64})\/(approve|deny))?\/?$/;

interface Route {
  readonly collection: 'approvals' | 'elevations';
  readonly id: string | undefined;
  readonly action: 'approve' | 'deny' | undefined;
  /** The route pattern for the audit record (ids are in `target`). */
  readonly pattern: string;
}

function routeOf(method: string, path: string): Route | undefined {
  const m = ROUTE.exec(path);
  if (m === null) return undefined;
  const collection = m[1] as Route['collection'];
  const id = m[2];
  const action = m[3] as Route['action'];
  return {
    collection,
    id,
    action,
    pattern: `${method} /${collection}${id === undefined ? '' : `/:id/${action}`}`,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_ADMIN_BODY) throw new WardenError('ERR_TRANSPORT_BODY_TOO_LARGE');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Starts the admin listener on `host:port` and resolves once it listens. */
export async function startAdmin(host: string, port: number, deps: AdminDeps): Promise<AdminListener> {
  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    audit: (e: Partial<AdminEvent>) => void,
  ): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const method = req.method ?? 'GET';
    const facts: HttpFacts = {
      method,
      path,
      ...(q === -1 ? {} : { query: raw.slice(q + 1) }),
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? '',
    };
    const route = routeOf(method, path);
    const pinRoute = deps.pins === undefined ? undefined : pinRouteOf(method, path);
    audit({ method: route?.pattern ?? pinRoute?.pattern ?? `${method} ${path.slice(0, 128)}` });
    // Authentication first: an unauthenticated caller learns nothing, not even which routes exist.
    const { principal } = await deps.authenticate(facts, ADMIN_ENDPOINT);
    audit({ principal: principal.key });
    if (pinRoute !== undefined && deps.pins !== undefined) {
      audit({ rule: 'approver-role' });
      if (!principal.roles.includes(deps.approverRole))
        throw new WardenError('ERR_ADMIN_FORBIDDEN', `this needs the ${deps.approverRole} role`);
      if (pinRoute.what === 'decide') await readBody(req);
      const a = answerPins(pinRoute, method, deps.pins, principal.key, audit, deps.onPinApproved);
      send(res, a.status, a.body);
      return;
    }
    if (route === undefined) throw new WardenError('ERR_ADMIN_NOT_FOUND', 'no such admin route');
    const wantPost = route.action !== undefined;
    if (
      wantPost
        ? method !== 'POST'
        : method !== 'GET' && !(route.collection === 'elevations' && method === 'POST')
    )
      throw new WardenError('ERR_TRANSPORT_METHOD_NOT_ALLOWED', undefined, {
        headers: { allow: wantPost ? 'POST' : route.collection === 'elevations' ? 'GET, POST' : 'GET' },
      });
    if (route.collection === 'elevations' && route.id === undefined && method === 'POST') {
      // Asking for a role for oneself needs only a valid token; granting it needs an approver.
      const body = parseElevationRequest(await readBody(req), deps.maxElevationSec);
      const e = deps.elevations.request(principal.key, body.role, body.durationSec, body.reason);
      audit({
        rule: 'authenticated',
        target: { kind: 'elevation', id: e.id, role: e.role, owner: e.principalKey },
      });
      send(res, 201, { elevation: e });
      return;
    }
    if (!principal.roles.includes(deps.approverRole)) {
      audit({ rule: 'approver-role' });
      throw new WardenError('ERR_ADMIN_FORBIDDEN', `this needs the ${deps.approverRole} role`);
    }
    audit({ rule: 'approver-role' });
    if (route.collection === 'approvals') {
      if (route.id === undefined || route.action === undefined) {
        send(res, 200, { approvals: deps.approvals.list() });
        return;
      }
      audit({ target: { kind: 'approval', id: route.id } });
      await readBody(req);
      audit({ rule: 'four-eyes' });
      const d = deps.approvals.decide(route.id, route.action, principal.key);
      audit({
        server: d.item.server,
        tool: d.item.tool,
        target: { kind: 'approval', id: d.item.id, owner: d.item.principal },
      });
      send(res, 200, { approval: d.item, outcome: d.outcome });
      return;
    }
    if (route.id === undefined || route.action === undefined) {
      send(res, 200, { elevations: deps.elevations.list() });
      return;
    }
    audit({ target: { kind: 'elevation', id: route.id } });
    await readBody(req);
    audit({ rule: 'four-eyes' });
    const e = deps.elevations.decide(route.id, route.action, principal.key);
    audit({ target: { kind: 'elevation', id: e.id, role: e.role, owner: e.principalKey } });
    send(res, 200, { elevation: e });
  }

  const server: Server = createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    let ev: AdminEvent = { method: 'unknown', principal: ANONYMOUS.key, outcome: 'ok', rule: 'none' };
    const audit = (e: Partial<AdminEvent>): void => {
      ev = { ...ev, ...e };
    };
    const done = (): void =>
      deps.audit(adminRecord({ ...ev, us: Number((process.hrtime.bigint() - t0) / 1000n) }));
    handle(req, res, audit).then(done, (err: unknown) => {
      const we = toWardenError(err);
      if (we.code === 'ERR_INTERNAL') deps.log.error('admin api internal error', { error: String(err) });
      const authn = we.code.startsWith('ERR_AUTHN_');
      audit({
        outcome: we.status >= 500 ? 'error' : 'denied',
        code: we.code,
        status: we.status,
        ...(authn ? { rule: 'authenticated' } : ev.rule === 'none' ? { rule: 'request' } : {}),
      });
      done();
      if (!res.headersSent)
        send(
          res,
          we.status,
          { error: { code: we.code, message: we.code === 'ERR_INTERNAL' ? 'internal error' : we.message } },
          we.headers,
        );
      // A refused request may still be sending its body; do not keep the socket for it.
      if (!req.complete) res.once('finish', () => req.socket.destroy());
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
