/**
 * The admin API's pin routes (docs/integrity.md): list approved pins and pending changes, show one
 * change with its diff, approve or reject it, and the lock document `warden pins lock` writes.
 * Approver role only (checked by the listener before these run).
 */
import { WardenError } from '../core/errors.js';
import { decideChange, lockDocument } from '../store/pins.js';
import type { PinChange, PinStore } from '../store/pins.js';
import type { AdminEvent } from './audit.js';

const PIN_ROUTE = /^\/pins(?:\/(lock)|\/([A-Za-z0-9_-]{1,64})(?:\/(approve|reject))?)?\/?$/;

/** One pin route. */
export interface PinRoute {
  readonly what: 'list' | 'lock' | 'show' | 'decide';
  readonly id: string | undefined;
  readonly action: 'approve' | 'reject' | undefined;
  /** The route pattern for the audit record. */
  readonly pattern: string;
}

/** The pin route of a path, or undefined when the path is not one. */
export function pinRouteOf(method: string, path: string): PinRoute | undefined {
  const m = PIN_ROUTE.exec(path);
  if (m === null) return undefined;
  if (m[1] === 'lock')
    return { what: 'lock', id: undefined, action: undefined, pattern: `${method} /pins/lock` };
  const id = m[2];
  const action = m[3] as PinRoute['action'];
  if (id === undefined) return { what: 'list', id, action, pattern: `${method} /pins` };
  if (action === undefined) return { what: 'show', id, action, pattern: `${method} /pins/:id` };
  return { what: 'decide', id, action, pattern: `${method} /pins/:id/${action}` };
}

/** A change as listed (no canonical bodies: `GET /pins/:id` has them and the diff). */
function summary(c: PinChange): Record<string, unknown> {
  return {
    id: c.id,
    server: c.server,
    kind: c.kind,
    name: c.name,
    change: c.change,
    oldHash: c.oldHash,
    newHash: c.newHash,
    status: c.status,
    detectedAt: c.detectedAt,
    findings: c.findings,
  };
}

/**
 * Answers one pin route: the status and JSON body. Throws ERR_TRANSPORT_METHOD_NOT_ALLOWED for the
 * wrong method and ERR_ADMIN_NOT_FOUND for an unknown or decided change.
 */
export function answerPins(
  route: PinRoute,
  method: string,
  store: PinStore,
  principalKey: string,
  audit: (e: Partial<AdminEvent>) => void,
  onDecided?: (change: PinChange) => void,
): { status: number; body: unknown } {
  const want = route.what === 'decide' ? 'POST' : 'GET';
  if (method !== want)
    throw new WardenError('ERR_TRANSPORT_METHOD_NOT_ALLOWED', undefined, { headers: { allow: want } });
  switch (route.what) {
    case 'list':
      return {
        status: 200,
        body: {
          pins: store.list().map((p) => ({
            server: p.server,
            kind: p.kind,
            name: p.name,
            hash: p.hash,
            source: p.source,
            approvedBy: p.approvedBy,
            approvedAt: p.approvedAt,
          })),
          pending: store.changes('pending').map(summary),
        },
      };
    case 'lock':
      return { status: 200, body: lockDocument(store) };
    case 'show': {
      const c = store.change(route.id as string);
      if (c === undefined) throw new WardenError('ERR_ADMIN_NOT_FOUND', `no pin change ${String(route.id)}`);
      audit({ server: c.server, target: { kind: 'pin', id: c.id } });
      return { status: 200, body: { change: c } };
    }
    case 'decide': {
      audit({ target: { kind: 'pin', id: route.id as string } });
      const d = decideChange(store, route.id as string, route.action as 'approve' | 'reject', principalKey);
      audit({
        server: d.change.server,
        ...(d.change.kind === 'tool' || d.change.kind === 'prompt' ? { tool: d.change.name } : {}),
        target: { kind: 'pin', id: d.change.id },
      });
      if (d.outcome === 'approved') onDecided?.(d.change);
      return { status: 200, body: { change: summary(d.change), outcome: d.outcome } };
    }
  }
}
