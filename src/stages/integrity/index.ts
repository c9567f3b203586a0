/**
 * The integrity stage (issue 5 item 1, rug-pull defence): every tool, prompt and resource template
 * an upstream lists is compared with its pin. Under `tofu` the first listing of a kind from a
 * server is pinned and served; afterwards a changed, added or removed definition is withheld from
 * clients and recorded as a pending change (with a readable diff) until a reviewer approves it.
 * The server's identity (launch command and version, or URL and TLS key) is pinned too; while it
 * differs from its pin, everything the server lists is withheld. Under `lock` only what the lock
 * file pins is served. Calls and gets are allowed only for a definition the connection listed with
 * an approved hash. Synchronous: the store is in memory or SQLite.
 */
import { WardenError } from '../../core/errors.js';
import { worst } from '../../detect/types.js';
import type { Finding, Severity } from '../../detect/types.js';
import type { PinChange, PinKind, PinStore } from '../../store/pins.js';
import { canonicalDefinition, lineDiff, prettyCanonical } from './canonical.js';
import { canonicalIdentity } from './identity.js';
import type { IdentityFacts } from './identity.js';

export { canonicalDefinition, lineDiff, prettyCanonical } from './canonical.js';
export type { IdentityFacts } from './identity.js';

/** A kind of listed definition. */
export type DefinitionKind = 'tool' | 'prompt' | 'resourceTemplate';

/** How definitions are pinned (config `integrity.pinning`). */
export type PinningMode = 'tofu' | 'lock' | 'off';

/**
 * What the definition scanner's worst finding makes Warden do with a new or changed definition:
 * `refuse` (never served, calls refused), `hold` (pending until approved, even on first use),
 * `warn` (served where pinning allows, audited), `none`.
 */
export type ScanAction = 'refuse' | 'hold' | 'warn' | 'none';

/** The definition scanner (src/detect/definitions.ts `scanDefinition`). */
export type DefinitionScanner = (
  def: Readonly<Record<string, unknown>>,
  context: {
    kind: DefinitionKind;
    server?: string;
    otherTools?: readonly string[];
    otherServers?: readonly string[];
  },
) => Finding[];

/** A finding as stored with a change and shown to reviewers (evidence is already masked). */
export interface StoredFinding {
  readonly rule: string;
  readonly severity: Severity;
  readonly path?: string;
  readonly evidence: string;
}

/** What the gateway is told happened, for the audit log. */
export type IntegrityEvent =
  | {
      readonly event: 'pinned';
      readonly server: string;
      readonly kind: PinKind;
      /** Names pinned on first use. */
      readonly names: readonly string[];
      /** The principal whose listing it was. */
      readonly principal: string | undefined;
    }
  | { readonly event: 'change'; readonly change: PinChange; readonly principal: string | undefined }
  | {
      /** The server's change record is full: further changes are withheld without a record. */
      readonly event: 'full';
      readonly server: string;
      readonly principal: string | undefined;
    }
  | {
      /** A new definition served with findings whose action is `warn`. */
      readonly event: 'scan';
      readonly server: string;
      readonly kind: DefinitionKind;
      readonly name: string;
      readonly hash: string;
      readonly findings: readonly StoredFinding[];
      readonly principal: string | undefined;
    };

/** Options of the integrity engine. */
export interface IntegrityOptions {
  readonly mode: PinningMode;
  readonly store: PinStore;
  /** Called for every first-use pinning and every new pending change. */
  readonly onEvent?: (e: IntegrityEvent) => void;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** Scans new and changed definitions; unset: no scanning. */
  readonly scan?: DefinitionScanner;
  /** Action per worst finding severity (default critical refuse, high hold, medium warn, low none). */
  readonly actions?: Readonly<Record<Severity, ScanAction>>;
  /** Every configured server name (scanner context: references to other servers). */
  readonly servers?: readonly string[];
  /** Most changes recorded per server (default MAX_CHANGES_PER_SERVER). */
  readonly maxChangesPerServer?: number;
}

/** Facts of one listing Warden reviews. */
export interface ListingFacts {
  /** The whole list (every page), so a pinned definition missing from it was removed. */
  readonly complete: boolean;
  /** This listing reaches the server's last page (first-use pinning ends with it). */
  readonly lastPage: boolean;
  readonly identity: IdentityFacts;
  /** The upstream connection the list came from (what it listed is remembered per connection). */
  readonly connection: object;
  /** The principal whose request made Warden list (for the audit record). */
  readonly principal?: string;
}

/** Why a call was refused. */
export type RefusalReason = 'pending' | 'rejected' | 'identity' | 'unlisted' | 'scanner';

/** The integrity engine the route layer calls. */
export interface Integrity {
  readonly mode: PinningMode;
  readonly store: PinStore;
  /** Reviews one server's listing of one kind; returns the items a client may see, in order. */
  review(
    server: string,
    kind: DefinitionKind,
    items: readonly Record<string, unknown>[],
    facts: ListingFacts,
  ): Record<string, unknown>[];
  /**
   * Whether `name` may be called or fetched on `connection`: `allowed`, `unseen` (the connection
   * has not listed that kind completely yet: list and ask again), or the coded refusal.
   */
  verdict(
    server: string,
    kind: DefinitionKind,
    name: string,
    connection: object,
  ): 'allowed' | 'unseen' | WardenError;
  /**
   * The names (for templates: the `uriTemplate`s) of one kind a connection listed, approved or
   * not; undefined until it listed that kind completely.
   */
  listedNames(connection: object, kind: DefinitionKind): string[] | undefined;
  /** Forgets what a connection listed of one kind (the upstream said its list changed). */
  forget(connection: object, kind: DefinitionKind): void;
  close(): void;
}

/** The name a definition is pinned under: a template's `uriTemplate`, else its `name`. */
export function pinName(kind: DefinitionKind, item: Readonly<Record<string, unknown>>): string | undefined {
  const n = kind === 'resourceTemplate' ? item.uriTemplate : item.name;
  return typeof n === 'string' ? n : undefined;
}

interface Seen {
  readonly hash: string;
  readonly identityHash: string;
}

interface ConnectionView {
  /** `kind\nname` → the hash listed on this connection. */
  readonly seen: Map<string, Seen>;
  /** Kinds this connection listed completely. */
  readonly complete: Set<DefinitionKind>;
}

const WORDS: Record<DefinitionKind, string> = {
  tool: 'tool',
  prompt: 'prompt',
  resourceTemplate: 'resource template',
};

/** The refusal of a call to a definition that is not approved. */
export function unapproved(
  server: string,
  kind: DefinitionKind,
  name: string,
  reason: RefusalReason,
  change?: PinChange,
): WardenError {
  const what = `${WORDS[kind]} ${name.slice(0, 128)} of server ${server}`;
  const review = change === undefined ? '`warden pins list`' : `\`warden pins diff ${change.id}\``;
  const why: Record<RefusalReason, string> = {
    pending: `is not approved in this version (new or changed since it was pinned); a reviewer can see it with ${review}`,
    rejected: 'is offered in a version a reviewer rejected',
    identity: `is served by a server whose identity (command, version, URL or TLS key) changed; a reviewer can see it with ${review}`,
    unlisted: 'is not among the definitions the server lists',
    scanner: `was refused by the definition scanner (${review})`,
  };
  return new WardenError(
    reason === 'scanner' ? 'ERR_INTEGRITY_REFUSED' : 'ERR_INTEGRITY_UNAPPROVED',
    `${what} ${why[reason]}`,
    {
      data: {
        server,
        kind,
        name: name.slice(0, 128),
        reason,
        ...(change !== undefined ? { change: change.id } : {}),
      },
    },
  );
}

/** Default scanner actions per severity. */
export const DEFAULT_SCAN_ACTIONS: Readonly<Record<Severity, ScanAction>> = {
  critical: 'refuse',
  high: 'hold',
  medium: 'warn',
  low: 'none',
};

/**
 * Most changes recorded per server. An upstream that churns out new versions cannot grow the store
 * without bound: past this, new changes are still withheld (and logged once) but not recorded.
 */
export const MAX_CHANGES_PER_SERVER = 10_000;

/** Most scan results remembered (by server and hash), so a re-listing is not scanned again. */
const SCAN_CACHE = 4096;

/** Builds the integrity engine. */
export function createIntegrity(opts: IntegrityOptions): Integrity {
  const { store, mode } = opts;
  const actions = opts.actions ?? DEFAULT_SCAN_ACTIONS;
  const scanned = new Map<string, { action: ScanAction; findings: StoredFinding[] }>();
  const maxChanges = opts.maxChangesPerServer ?? MAX_CHANGES_PER_SERVER;
  /** Servers whose change record is full (reported once per process). */
  const full = new Set<string>();

  /** Scans a new or changed definition (cached by server and hash) and maps its worst finding to an action. */
  function scanOf(
    server: string,
    kind: DefinitionKind,
    item: Readonly<Record<string, unknown>>,
    hash: string,
    otherTools: () => readonly string[],
  ): { action: ScanAction; findings: StoredFinding[] } {
    if (opts.scan === undefined) return { action: 'none', findings: [] };
    const key = `${server}\n${hash}`;
    const hit = scanned.get(key);
    if (hit !== undefined) return hit;
    const found = opts.scan(item, {
      kind,
      server,
      otherTools: otherTools(),
      otherServers: (opts.servers ?? []).filter((s) => s !== server),
    });
    const w = worst(found);
    const r = {
      action: w === undefined ? 'none' : actions[w],
      findings: found.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        ...(f.path !== undefined ? { path: f.path } : {}),
        evidence: f.evidence,
      })),
    } as const;
    if (scanned.size >= SCAN_CACHE) scanned.clear();
    const out = { action: r.action, findings: [...r.findings] };
    scanned.set(key, out);
    return out;
  }
  const now = opts.now ?? ((): Date => new Date());
  const views = new WeakMap<object, ConnectionView>();
  const emit = (e: IntegrityEvent): void => opts.onEvent?.(e);

  function viewOf(connection: object): ConnectionView {
    let v = views.get(connection);
    if (v === undefined) {
      v = { seen: new Map(), complete: new Set() };
      views.set(connection, v);
    }
    return v;
  }

  /** Records a pending change unless the same one is already open. */
  function propose(
    principal: string | undefined,
    c: Omit<PinChange, 'id' | 'status' | 'detectedAt' | 'decidedBy' | 'decidedAt' | 'diff' | 'findings'>,
    findings: readonly StoredFinding[] = [],
    refusedByScanner = false,
  ): void {
    const open = store.pendingFor(c.server, c.kind, c.name);
    if (!refusedByScanner && open !== undefined && open.newHash === c.newHash && open.change === c.change)
      return;
    if (store.countChanges(c.server) >= maxChanges) {
      // Withheld all the same (the caller does not serve it); only the record is skipped.
      if (!full.has(c.server)) {
        full.add(c.server);
        emit({ event: 'full', server: c.server, principal });
      }
      return;
    }
    const before = c.oldCanonical === undefined ? '' : prettyCanonical(c.oldCanonical);
    const after = c.newCanonical === undefined ? '' : prettyCanonical(c.newCanonical);
    let change = store.addChange({
      ...c,
      diff: lineDiff(before, after),
      findings: findings.map((f) => ({ ...f })),
    });
    if (refusedByScanner) {
      // Refused outright: recorded for the reviewer, never pending, never served.
      store.setStatus(change.id, 'rejected', 'scanner', now().toISOString());
      change = store.change(change.id) ?? change;
    }
    emit({ event: 'change', change, principal });
  }

  /** True when the server's identity is approved; otherwise records it as pending (or pins it under tofu). */
  function identityApproved(
    server: string,
    facts: IdentityFacts,
    principal: string | undefined,
  ): { ok: boolean; hash: string } {
    const id = canonicalIdentity(facts);
    const pin = store.get(server, 'server', '');
    if (pin?.hash === id.hash) return { ok: true, hash: id.hash };
    if (pin === undefined && mode === 'tofu') {
      store.put({
        server,
        kind: 'server',
        name: '',
        hash: id.hash,
        canonical: id.json,
        source: 'tofu',
        approvedBy: 'tofu',
        approvedAt: now().toISOString(),
      });
      store.setBaseline(server, 'server');
      emit({ event: 'pinned', server, kind: 'server', names: [''], principal });
      return { ok: true, hash: id.hash };
    }
    if (store.rejection(server, 'server', '', id.hash) === undefined)
      propose(principal, {
        server,
        kind: 'server',
        name: '',
        change: pin === undefined ? 'added' : 'changed',
        oldHash: pin?.hash,
        newHash: id.hash,
        oldCanonical: pin?.canonical,
        newCanonical: id.json,
      });
    return { ok: false, hash: id.hash };
  }

  /** Reviews one listing (see Integrity.review); runs inside one store transaction. */
  function reviewListing(
    server: string,
    kind: DefinitionKind,
    items: readonly Record<string, unknown>[],
    facts: ListingFacts,
  ): Record<string, unknown>[] {
    const view = viewOf(facts.connection);
    const who = facts.principal;
    const identity = identityApproved(server, facts.identity, who);
    const firstUse = mode === 'tofu' && !store.hasBaseline(server, kind);
    const kept: Record<string, unknown>[] = [];
    const pinnedNow: string[] = [];
    const listed = new Set<string>();
    let others: readonly string[] | undefined;
    const otherTools = (): readonly string[] =>
      (others ??= store
        .list()
        .filter((p) => p.kind === 'tool' && p.server !== server)
        .map((p) => p.name));
    for (const item of items) {
      const name = pinName(kind, item);
      if (name === undefined || listed.has(name)) continue; // nameless or duplicate: never served
      listed.add(name);
      const c = canonicalDefinition(item);
      view.seen.set(`${kind}\n${name}`, { hash: c.hash, identityHash: identity.hash });
      const pin = store.get(server, kind, name);
      if (pin?.hash !== c.hash) {
        // New or changed: rejected versions stay out; the scanner sees the rest before anything
        // is pinned or proposed.
        if (store.rejection(server, kind, name, c.hash) !== undefined) continue;
        const scan = scanOf(server, kind, item, c.hash, otherTools);
        const change = {
          server,
          kind,
          name,
          change: pin === undefined ? ('added' as const) : ('changed' as const),
          oldHash: pin?.hash,
          newHash: c.hash,
          oldCanonical: pin?.canonical,
          newCanonical: c.json,
        };
        if (scan.action === 'refuse') {
          propose(who, change, scan.findings, true);
          continue;
        }
        if (pin !== undefined || !firstUse || scan.action === 'hold') {
          propose(who, change, scan.findings);
          continue;
        }
        store.put({
          server,
          kind,
          name,
          hash: c.hash,
          canonical: c.json,
          source: 'tofu',
          approvedBy: 'tofu',
          approvedAt: now().toISOString(),
        });
        pinnedNow.push(name);
        if (scan.action === 'warn')
          emit({
            event: 'scan',
            server,
            kind,
            name,
            hash: c.hash,
            findings: scan.findings,
            principal: who,
          });
      }
      if (identity.ok) kept.push(item);
    }
    if (pinnedNow.length > 0) emit({ event: 'pinned', server, kind, names: pinnedNow, principal: who });
    if (facts.lastPage && mode === 'tofu') store.setBaseline(server, kind);
    if (facts.complete) {
      view.complete.add(kind);
      // A listing replaces what the connection listed before: names it no longer offers are gone.
      for (const k of [...view.seen.keys()])
        if (k.startsWith(`${kind}\n`) && !listed.has(k.slice(kind.length + 1))) view.seen.delete(k);
      for (const pin of store.list(server)) {
        if (pin.kind !== kind || listed.has(pin.name)) continue;
        if (store.rejection(server, kind, pin.name, undefined) !== undefined) continue;
        propose(who, {
          server,
          kind,
          name: pin.name,
          change: 'removed',
          oldHash: pin.hash,
          newHash: undefined,
          oldCanonical: pin.canonical,
          newCanonical: undefined,
        });
      }
    }
    return kept;
  }

  return {
    mode,
    store,

    review(server, kind, items, facts) {
      if (mode === 'off') return [...items];
      // One transaction per listing: first-use pins and proposed changes commit together.
      return store.batch(() => reviewListing(server, kind, items, facts));
    },

    verdict(server, kind, name, connection) {
      if (mode === 'off') return 'allowed';
      const view = viewOf(connection);
      const seen = view.seen.get(`${kind}\n${name}`);
      if (seen === undefined)
        return view.complete.has(kind) ? unapproved(server, kind, name, 'unlisted') : 'unseen';
      const id = store.get(server, 'server', '');
      if (id?.hash !== seen.identityHash)
        return unapproved(server, kind, name, 'identity', store.pendingFor(server, 'server', ''));
      const pin = store.get(server, kind, name);
      if (pin?.hash === seen.hash) return 'allowed';
      const rejected = store.rejection(server, kind, name, seen.hash);
      if (rejected !== undefined)
        return unapproved(
          server,
          kind,
          name,
          rejected.decidedBy === 'scanner' ? 'scanner' : 'rejected',
          rejected,
        );
      return unapproved(server, kind, name, 'pending', store.pendingFor(server, kind, name));
    },

    listedNames(connection, kind) {
      if (mode === 'off') return [];
      const view = views.get(connection);
      if (view === undefined || !view.complete.has(kind)) return undefined;
      const prefix = `${kind}\n`;
      const names: string[] = [];
      for (const k of view.seen.keys()) if (k.startsWith(prefix)) names.push(k.slice(prefix.length));
      return names;
    },

    forget(connection, kind) {
      const view = views.get(connection);
      if (view === undefined) return;
      view.complete.delete(kind);
      for (const k of [...view.seen.keys()]) if (k.startsWith(`${kind}\n`)) view.seen.delete(k);
    },

    close: () => store.close(),
  };
}
