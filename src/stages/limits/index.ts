/**
 * The limits stage (DESIGN: after session, before policy): in-flight caps per principal and per
 * server, fixed-window rate limits (global, per principal, per server, per tool) and a daily
 * tool-call budget per principal. Only JSON-RPC requests count: notifications (a cancellation
 * above all) and responses to server requests must never be refused for volume. A refusal is a
 * 429 with `Retry-After`, and a refused request gives back whatever the earlier checks took. When a
 * shared store cannot answer, the request is refused with 503 `ERR_LIMIT_UNAVAILABLE`, or, with
 * `failOpen`, let through unchecked with an audited `limits.failOpen` skip decision.
 */
import { WardenError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { decide } from '../../core/exchange.js';
import type { Exchange, Stage } from '../../core/exchange.js';
import type { JsonRpcRequest } from '../../core/jsonrpc.js';
import { isRequest } from '../../core/jsonrpc.js';
import { memoryLimitStore } from '../../store/limits.js';
import type { InflightCounter, LimitStore, WindowCounter } from '../../store/limits.js';

/** A fixed window: `points` requests per `durationSec` seconds. */
export interface RateWindow {
  readonly points: number;
  readonly durationSec: number;
}

/** The limit settings the stage reads (the `limits` block of the config); unset means no limit. */
export interface LimitsSettings {
  readonly rate?: {
    readonly global?: RateWindow;
    readonly perPrincipal?: RateWindow;
    readonly perServer?: RateWindow;
    readonly perTool?: RateWindow;
  };
  readonly concurrency?: { readonly perPrincipal?: number; readonly perServer?: number };
  readonly dailyBudget?: { readonly perPrincipal: number; readonly resetHourUtc: number };
  /**
   * When the counter store cannot answer (`ERR_LIMIT_UNAVAILABLE`): false (default) refuses the
   * request; true lets it through unchecked and records a `limits.failOpen` skip decision.
   */
  readonly failOpen?: boolean;
}

/** The name of a limit, as carried in a refusal's `data.limit`. */
export type LimitName =
  | 'rate.global'
  | 'rate.perPrincipal'
  | 'rate.perServer'
  | 'rate.perTool'
  | 'concurrency.perPrincipal'
  | 'concurrency.perServer'
  | 'dailyBudget.perPrincipal';

/** The limits stage plus the hook that releases in-flight counts when an exchange ends. */
export interface LimitsStage extends Stage {
  /** Releases what the exchange holds; call once when the exchange ends, whatever its outcome. */
  end(ex: Exchange): void;
}

/** Options for tests and for a shared store. */
export interface LimitsOptions {
  /** Counter store; default a new in-process store. */
  readonly store?: LimitStore;
  /** Clock in milliseconds since the epoch (default `Date.now`); only the daily budget reads it. */
  readonly now?: () => number;
}

/** What one request is about: who sends it, which server and which tool it reaches. */
interface Subject {
  readonly principal: string;
  readonly server: string | undefined;
  readonly tool: string | undefined;
}

interface RateCheck {
  readonly limit: LimitName;
  readonly window: RateWindow;
  readonly counter: WindowCounter;
  readonly key: (s: Subject) => string | undefined;
}

interface CapCheck {
  readonly limit: LimitName;
  readonly max: number;
  readonly counter: InflightCounter;
  readonly key: (s: Subject) => string | undefined;
}

const DAY_MS = 86_400_000;
/** Aggregate-endpoint names are `<server>__<name>` and server names hold no underscore (route/naming.ts). */
const SEP = '__';

function subjectOf(ex: Exchange, req: JsonRpcRequest): Subject {
  let server = ex.endpointServer;
  let tool: string | undefined;
  if (req.method === 'tools/call' || req.method === 'prompts/get') {
    const raw = req.params?.name;
    const name = typeof raw === 'string' ? raw.slice(0, 256) : undefined;
    if (name !== undefined && server === undefined) {
      const i = name.indexOf(SEP);
      if (i > 0) server = name.slice(0, i);
    }
    if (name !== undefined && req.method === 'tools/call') {
      tool = ex.endpointServer === undefined ? name : `${ex.endpointServer}${SEP}${name}`;
    }
  }
  return { principal: ex.principal.key, server, tool };
}

function retryAfter(limit: LimitName, ms: number, code: ErrorCode, message: string): WardenError {
  const retryAfterMs = Math.max(0, Math.ceil(ms));
  return new WardenError(code, message, {
    data: { limit, retryAfterMs },
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

/** Builds the limits stage, or returns undefined when no limit is set (nothing to do per request). */
export function limitsStage(settings: LimitsSettings, options: LimitsOptions = {}): LimitsStage | undefined {
  const store = options.store ?? memoryLimitStore();
  const now = options.now ?? Date.now;
  const rate = settings.rate ?? {};
  const caps: CapCheck[] = [];
  const rates: RateCheck[] = [];
  const byPrincipal = (s: Subject): string => s.principal;
  const byServer = (s: Subject): string | undefined => s.server;

  const c = settings.concurrency ?? {};
  if (c.perPrincipal !== undefined) {
    caps.push({
      limit: 'concurrency.perPrincipal',
      max: c.perPrincipal,
      counter: store.inflight('concurrency.perPrincipal'),
      key: byPrincipal,
    });
  }
  if (c.perServer !== undefined) {
    caps.push({
      limit: 'concurrency.perServer',
      max: c.perServer,
      counter: store.inflight('concurrency.perServer'),
      key: byServer,
    });
  }
  const addRate = (limit: LimitName, w: RateWindow | undefined, key: RateCheck['key']): void => {
    if (w !== undefined)
      rates.push({ limit, window: w, counter: store.window(limit, w.points, w.durationSec), key });
  };
  // Shared limits first: a request over the global or a server's limit costs no principal's allowance.
  addRate('rate.global', rate.global, () => '*');
  addRate('rate.perServer', rate.perServer, byServer);
  addRate('rate.perTool', rate.perTool, (s) => s.tool);
  addRate('rate.perPrincipal', rate.perPrincipal, byPrincipal);
  const budget = settings.dailyBudget;
  const budgetCounter =
    budget === undefined ? undefined : store.window('dailyBudget.perPrincipal', budget.perPrincipal, 86_400);

  if (caps.length === 0 && rates.length === 0 && budget === undefined) return undefined;

  const held = new WeakMap<Exchange, [InflightCounter, string][]>();

  const failOpen = settings.failOpen === true;

  async function undo(taken: readonly [WindowCounter, string][], ex: Exchange): Promise<void> {
    release(ex);
    // A give-back that fails (shared store gone) leaves the point spent until its window ends.
    await Promise.allSettled(taken.map(([counter, key]) => counter.giveBack(key)));
  }

  /**
   * The store could not answer. Fail closed: undo and refuse. Fail open: keep what was taken,
   * record the skip once (the audit trail of every fail-open) and skip the remaining checks, so a
   * hanging store costs one command timeout per request, not one per check.
   */
  async function unavailable(
    err: unknown,
    taken: readonly [WindowCounter, string][],
    ex: Exchange,
  ): Promise<void> {
    if (!(err instanceof WardenError) || err.code !== 'ERR_LIMIT_UNAVAILABLE') throw err;
    if (!failOpen) {
      await undo(taken, ex);
      throw err;
    }
    decide(ex, { stage: 'limits', decision: 'skip', rule: 'limits.failOpen', code: 'ERR_LIMIT_UNAVAILABLE' });
  }

  function release(ex: Exchange): void {
    const h = held.get(ex);
    if (h === undefined) return;
    held.delete(ex);
    for (const [counter, key] of h) counter.release(key);
  }

  return {
    name: 'limits',
    end: release,
    async request(ex) {
      const msg = ex.message;
      if (!isRequest(msg)) return;
      const s = subjectOf(ex, msg);
      const taken: [WindowCounter, string][] = [];
      try {
        for (const cap of caps) {
          const key = cap.key(s);
          if (key === undefined) continue;
          const r = cap.counter.acquire(key, cap.max);
          // The memory store answers synchronously: no promise is awaited on that path.
          if (!(typeof r === 'boolean' ? r : await r)) {
            release(ex);
            throw retryAfter(
              cap.limit,
              1000,
              'ERR_LIMIT_CONCURRENCY',
              `Too many requests in flight (${cap.limit}: at most ${cap.max}); retry when an earlier call has finished.`,
            );
          }
          let h = held.get(ex);
          if (h === undefined) held.set(ex, (h = []));
          h.push([cap.counter, key]);
        }
        for (const r of rates) {
          const key = r.key(s);
          if (key === undefined) continue;
          const t = await r.counter.take(key);
          if (!t.ok) {
            await undo(taken, ex);
            const secs = Math.max(1, Math.ceil(t.msBeforeNext / 1000));
            throw retryAfter(
              r.limit,
              t.msBeforeNext,
              'ERR_LIMIT_RATE',
              `Rate limit reached (${r.limit}: ${r.window.points} requests per ${r.window.durationSec} s); retry in ${secs} s.`,
            );
          }
          taken.push([r.counter, key]);
        }
        if (budget !== undefined && budgetCounter !== undefined && msg.method === 'tools/call') {
          // The budget day starts at resetHourUtc; the window index names the day, so keys never
          // carry a count across a reset even when the store keeps them a little longer.
          const shifted = now() - budget.resetHourUtc * 3_600_000;
          const day = Math.floor(shifted / DAY_MS);
          const msLeft = (day + 1) * DAY_MS - shifted;
          const t = await budgetCounter.take(`${s.principal}|${day}`, Math.ceil(msLeft / 1000));
          if (!t.ok) {
            await undo(taken, ex);
            throw retryAfter(
              'dailyBudget.perPrincipal',
              msLeft,
              'ERR_LIMIT_BUDGET',
              `Daily tool-call budget spent (${budget.perPrincipal} calls per day); it resets at ${String(budget.resetHourUtc).padStart(2, '0')}:00 UTC.`,
            );
          }
        }
      } catch (err) {
        if (err instanceof WardenError && err.code !== 'ERR_LIMIT_UNAVAILABLE') throw err;
        await unavailable(err, taken, ex);
      }
    },
  };
}
