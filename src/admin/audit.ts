/**
 * Audit records of the admin side: one per admin API request (who, which route, what it acted
 * on, how it ended) and one per approval or elevation that ended without an approver (lapsed).
 */
import type { AuditRecord } from '../core/exchange.js';
import { newExchangeId } from '../core/ids.js';
import type { ApprovalOutcome, PendingApproval } from '../store/approvals.js';
import type { Elevation } from '../store/elevations.js';

/** The `endpoint` of every admin audit record. */
export const ADMIN_ENDPOINT = '/admin';

/** What an admin audit record says. */
export interface AdminEvent {
  /** `GET /approvals`, `POST /elevations/:id/approve`, `EXPIRE approval`, … */
  readonly method: string;
  readonly principal: string;
  readonly outcome: AuditRecord['outcome'];
  /** The check that decided (`approver-role`, `authenticated`, `four-eyes`, `timeout`, …). */
  readonly rule: string;
  readonly code?: string;
  readonly status?: number;
  readonly server?: string;
  readonly tool?: string;
  readonly target?: AuditRecord['target'];
  /** Microseconds the request took. */
  readonly us?: number;
}

/** Builds the audit record of one admin event. */
export function adminRecord(e: AdminEvent): AuditRecord {
  const r: AuditRecord = {
    time: new Date().toISOString(),
    exchange: newExchangeId(),
    transport: 'http',
    endpoint: ADMIN_ENDPOINT,
    era: 'unknown',
    principal: e.principal,
    direction: 'client',
    kind: 'http',
    method: e.method,
    decisions: [{ stage: 'admin', decision: e.outcome === 'ok' ? 'allow' : 'deny', rule: e.rule }],
    outcome: e.outcome,
  };
  if (e.code !== undefined) r.code = e.code;
  if (e.status !== undefined) r.status = e.status;
  if (e.server !== undefined) r.server = e.server;
  if (e.tool !== undefined) r.tool = e.tool;
  if (e.target !== undefined) r.target = e.target;
  if (e.us !== undefined) r.us = e.us;
  return r;
}

/** Hooks for the stores that audit what ends without an approver (a held call or an elevation that lapsed). */
export function lapseHooks(write: (record: AuditRecord) => void): {
  onEnd: (item: PendingApproval, outcome: ApprovalOutcome) => void;
  onExpire: (e: Elevation) => void;
} {
  return {
    onEnd(item, outcome) {
      if (outcome !== 'expired') return;
      write(
        adminRecord({
          method: 'EXPIRE approval',
          principal: item.principal,
          outcome: 'denied',
          rule: 'timeout',
          code: 'ERR_APPROVAL_EXPIRED',
          server: item.server,
          tool: item.tool,
          target: { kind: 'approval', id: item.id, owner: item.principal },
        }),
      );
    },
    onExpire(e) {
      write(
        adminRecord({
          method: 'EXPIRE elevation',
          principal: e.principalKey,
          outcome: 'ok',
          rule: e.approver === undefined ? 'undecided' : 'duration',
          target: { kind: 'elevation', id: e.id, role: e.role, owner: e.principalKey },
        }),
      );
    },
  };
}
