/**
 * The approval queue: calls a policy rule holds for a human wait here until an approver releases
 * or denies them, or their timeout passes. In memory (one process); the {@link ApprovalQueue}
 * interface is what a shared (PostgreSQL) store will implement for scale-out.
 */
import { randomBytes } from 'node:crypto';
import { WardenError } from '../core/errors.js';
import { redactArgs } from './redact.js';

/** How a held call ended. */
export type ApprovalOutcome = 'approved' | 'denied' | 'expired';

/** What a stage hands the queue when it holds a call. */
export interface HoldRequest {
  /** The caller, as far as an approver needs to see it. */
  readonly principal: { readonly key: string; readonly subject: string };
  readonly server: string;
  readonly tool: string;
  /** The call's arguments; the queue keeps only a redacted copy (see redact.ts). */
  readonly args: unknown;
  /** The rule that asked for approval (shown to the approver, written to the audit). */
  readonly rule: string;
  /** How long the call may wait, in milliseconds. */
  readonly timeoutMs: number;
}

/** A call waiting for a decision, as the admin API shows it. */
export interface PendingApproval {
  readonly id: string;
  readonly principal: string;
  readonly subject: string;
  readonly server: string;
  readonly tool: string;
  readonly argsRedacted: unknown;
  readonly rule: string;
  /** ISO time the call was held. */
  readonly created: string;
  /** ISO time the call expires if nobody decides. */
  readonly expires: string;
}

/** The result of an approver's decision. */
export interface ApprovalDecision {
  readonly item: PendingApproval;
  readonly outcome: 'approved' | 'denied';
  readonly approver: string;
}

/** The queue as stages and the admin API use it. */
export interface ApprovalQueue {
  /** Holds a call until decided or expired; rejects at once with ERR_APPROVAL_QUEUE_FULL when full. */
  hold(req: HoldRequest): Promise<ApprovalOutcome>;
  /** Calls waiting now, oldest first. */
  list(): PendingApproval[];
  /**
   * Releases or denies a waiting call. Throws ERR_ADMIN_NOT_FOUND for an unknown or finished id
   * and ERR_ADMIN_FORBIDDEN when the approver is the caller who made the call.
   */
  decide(id: string, action: 'approve' | 'deny', approverKey: string): ApprovalDecision;
  /** Calls waiting now. */
  readonly size: number;
  /** Ends every waiting call as denied (shutdown). */
  close(): void;
}

interface Entry {
  readonly item: PendingApproval;
  readonly resolve: (o: ApprovalOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/** Options of the in-memory queue. */
export interface MemoryApprovalOptions {
  /** Most calls held at once (default 100). */
  readonly maxPending?: number;
  /** Called once per held call when it ends (for the audit trail). */
  readonly onEnd?: (item: PendingApproval, outcome: ApprovalOutcome, approver?: string) => void;
}

/** Builds the in-memory approval queue. */
export function memoryApprovalQueue(opts: MemoryApprovalOptions = {}): ApprovalQueue {
  const max = opts.maxPending ?? 100;
  const pending = new Map<string, Entry>();

  function end(id: string, outcome: ApprovalOutcome, approver?: string): Entry | undefined {
    const e = pending.get(id);
    if (e === undefined) return undefined;
    pending.delete(id);
    clearTimeout(e.timer);
    e.resolve(outcome);
    opts.onEnd?.(e.item, outcome, approver);
    return e;
  }

  return {
    hold(req) {
      if (pending.size >= max)
        return Promise.reject(
          new WardenError('ERR_APPROVAL_QUEUE_FULL', undefined, { data: { maxPending: max } }),
        );
      // 128 random bits: an id is what an approver acts on, so it must not be guessable.
      // A prefix, so an id never starts with '-' (the CLI would read it as an option).
      const id = `apr_${randomBytes(16).toString('base64url')}`;
      const now = Date.now();
      const item: PendingApproval = {
        id,
        principal: req.principal.key,
        subject: req.principal.subject,
        server: req.server,
        tool: req.tool,
        argsRedacted: redactArgs(req.args),
        rule: req.rule,
        created: new Date(now).toISOString(),
        expires: new Date(now + req.timeoutMs).toISOString(),
      };
      return new Promise<ApprovalOutcome>((resolve) => {
        const timer = setTimeout(() => end(id, 'expired'), req.timeoutMs);
        timer.unref();
        pending.set(id, { item, resolve, timer });
      });
    },
    list() {
      return [...pending.values()].map((e) => e.item);
    },
    decide(id, action, approverKey) {
      const e = pending.get(id);
      if (e === undefined) throw new WardenError('ERR_ADMIN_NOT_FOUND', 'no such pending approval');
      // Four eyes: whoever made the call cannot release it.
      if (e.item.principal === approverKey)
        throw new WardenError('ERR_ADMIN_FORBIDDEN', 'an approver cannot decide their own call');
      const outcome = action === 'approve' ? 'approved' : 'denied';
      end(id, outcome, approverKey);
      return { item: e.item, outcome, approver: approverKey };
    },
    get size() {
      return pending.size;
    },
    close() {
      for (const id of [...pending.keys()]) end(id, 'denied');
    },
  };
}
