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

/** What the gateway is told happened, for the audit log. */
export type IntegrityEvent =
  | {
      readonly event: 'pinned';
      readonly server: string;
      readonly kind: PinKind;
      /** Names pinned on first use. */
      readonly names: readonly string[];
    }
  | { readonly event: 'change'; readonly change: PinChange };

/** Options of the integrity engine. */
export interface IntegrityOptions {
  readonly mode: PinningMode;
  readonly store: PinStore;
  /** Called for every first-use pinning and every new pending change. */
  readonly onEvent?: (e: IntegrityEvent) => void;
  /** The clock, for tests. */
  readonly now?: () => Date;
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
}

/** Why a call was refused. */
export type RefusalReason = 'pending' | 'rejected' | 'identity' | 'unlisted';

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
  };
  return new WardenError('ERR_INTEGRITY_UNAPPROVED', `${what} ${why[reason]}`, {
    data: {
      server,
      kind,
      name: name.slice(0, 128),
      reason,
      ...(change !== undefined ? { change: change.id } : {}),
    },
  });
}

/** Builds the integrity engine. */
export function createIntegrity(opts: IntegrityOptions): Integrity {
  const { store, mode } = opts;
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
    c: Omit<PinChange, 'id' | 'status' | 'detectedAt' | 'decidedBy' | 'decidedAt' | 'diff' | 'findings'>,
  ): void {
    const open = store.pendingFor(c.server, c.kind, c.name);
    if (open !== undefined && open.newHash === c.newHash && open.change === c.change) return;
    const before = c.oldCanonical === undefined ? '' : prettyCanonical(c.oldCanonical);
    const after = c.newCanonical === undefined ? '' : prettyCanonical(c.newCanonical);
    emit({ event: 'change', change: store.addChange({ ...c, diff: lineDiff(before, after), findings: [] }) });
  }

  /** True when the server's identity is approved; otherwise records it as pending (or pins it under tofu). */
  function identityApproved(server: string, facts: IdentityFacts): { ok: boolean; hash: string } {
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
      emit({ event: 'pinned', server, kind: 'server', names: [''] });
      return { ok: true, hash: id.hash };
    }
    if (!store.isRejected(server, 'server', '', id.hash))
      propose({
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

  return {
    mode,
    store,

    review(server, kind, items, facts) {
      if (mode === 'off') return [...items];
      const view = viewOf(facts.connection);
      const identity = identityApproved(server, facts.identity);
      const firstUse = mode === 'tofu' && !store.hasBaseline(server, kind);
      const kept: Record<string, unknown>[] = [];
      const pinnedNow: string[] = [];
      const listed = new Set<string>();
      for (const item of items) {
        const name = pinName(kind, item);
        if (name === undefined || listed.has(name)) continue; // nameless or duplicate: never served
        listed.add(name);
        const c = canonicalDefinition(item);
        view.seen.set(`${kind}\n${name}`, { hash: c.hash, identityHash: identity.hash });
        let pin = store.get(server, kind, name);
        if (pin === undefined && firstUse) {
          pin = {
            server,
            kind,
            name,
            hash: c.hash,
            canonical: c.json,
            source: 'tofu',
            approvedBy: 'tofu',
            approvedAt: now().toISOString(),
          };
          store.put(pin);
          pinnedNow.push(name);
        }
        if (pin?.hash === c.hash) {
          if (identity.ok) kept.push(item);
          continue;
        }
        if (store.isRejected(server, kind, name, c.hash)) continue;
        propose({
          server,
          kind,
          name,
          change: pin === undefined ? 'added' : 'changed',
          oldHash: pin?.hash,
          newHash: c.hash,
          oldCanonical: pin?.canonical,
          newCanonical: c.json,
        });
      }
      if (pinnedNow.length > 0) emit({ event: 'pinned', server, kind, names: pinnedNow });
      if (facts.lastPage && mode === 'tofu') store.setBaseline(server, kind);
      if (facts.complete) {
        view.complete.add(kind);
        // A listing replaces what the connection listed before: names it no longer offers are gone.
        for (const k of [...view.seen.keys()])
          if (k.startsWith(`${kind}\n`) && !listed.has(k.slice(kind.length + 1))) view.seen.delete(k);
        for (const pin of store.list(server)) {
          if (pin.kind !== kind || listed.has(pin.name)) continue;
          if (store.isRejected(server, kind, pin.name, undefined)) continue;
          propose({
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
      if (store.isRejected(server, kind, name, seen.hash)) return unapproved(server, kind, name, 'rejected');
      return unapproved(server, kind, name, 'pending', store.pendingFor(server, kind, name));
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
