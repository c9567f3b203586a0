/**
 * The aggregate endpoint's naming rule `<server>__<name>`: two servers can never shadow each other,
 * exposed names stay within [A-Za-z0-9_.-]{1,128}, names that need it are cleaned and hashed, and
 * the table maps exposed names back — refusing unknown servers and raw forms of hashed names.
 * [integrity:shadowing]
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SERVER_NAME } from '../../src/config/schema.js';
import { MAX_NAME, NameTable, SEP, exposeName, splitName } from '../../src/route/naming.js';

const EXPOSED = /^[A-Za-z0-9_.-]{1,128}$/;
/** Server names as the config schema allows them. */
const serverName = fc.stringMatching(SERVER_NAME);

describe('[integrity:shadowing] exposeName', () => {
  it('[integrity:shadowing] the same tool name on two servers gets two exposed names', () => {
    expect(exposeName('github', 'search')).toBe('github__search');
    expect(exposeName('gitlab', 'search')).toBe('gitlab__search');
    const t = new NameTable();
    const a = t.add('github', 'search');
    const b = t.add('gitlab', 'search');
    expect(a).not.toBe(b);
    const servers = new Set(['github', 'gitlab']);
    expect(t.resolve(a!, servers)).toEqual({ server: 'github', name: 'search' });
    expect(t.resolve(b!, servers)).toEqual({ server: 'gitlab', name: 'search' });
  });

  it('keeps a safe name that fits as plain `<server>__<name>`', () => {
    expect(SEP).toBe('__');
    expect(MAX_NAME).toBe(128);
    for (const n of ['a', 'read_file', 'v1.2-beta', 'x__y', '_', '-'])
      expect(exposeName('s', n)).toBe(`s__${n}`);
    const fits = 'n'.repeat(128 - 's__'.length);
    expect(exposeName('s', fits)).toBe(`s__${fits}`);
  });

  it('cleans and hashes a name with characters outside [A-Za-z0-9_.-]', () => {
    const e = exposeName('s', 'hello world/ä');
    expect(e).toMatch(/^s__hello-world---[0-9a-f]{8}$/);
    expect(e).toMatch(EXPOSED);
    expect(exposeName('s', 'hello world/ä')).toBe(e); // deterministic
  });

  it('shortens and hashes a name that would pass 128 characters', () => {
    const long = 'n'.repeat(129 - 's__'.length);
    const e = exposeName('s', long);
    expect(e).toMatch(/^s__n+-[0-9a-f]{8}$/);
    expect(e.length).toBeLessThanOrEqual(128);
    const longest = exposeName('abcdefghijklmnopqrstuvwxyz012345', 'x'.repeat(1000));
    expect(longest.length).toBeLessThanOrEqual(128);
    expect(longest).toMatch(EXPOSED);
  });

  it('hashes the empty name', () => {
    expect(exposeName('s', '')).toMatch(/^s__-[0-9a-f]{8}$/);
  });

  it('[integrity:shadowing] property: any name from any valid server is exposed within [A-Za-z0-9_.-]{1,128} under its server prefix', () => {
    fc.assert(
      fc.property(serverName, fc.string({ unit: 'binary', maxLength: 300 }), (server, name) => {
        const e = exposeName(server, name);
        expect(e).toMatch(EXPOSED);
        expect(e.startsWith(`${server}${SEP}`)).toBe(true);
        expect(splitName(e)?.server).toBe(server);
      }),
      { numRuns: 3000 },
    );
  });

  it('[integrity:shadowing] property: distinct (server, name) pairs get distinct exposed names', () => {
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '_', '-', '.', ' ', '/', 'é'), maxLength: 10 }),
      fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 120, maxLength: 140 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'a-b', 'ab'), name), {
          maxLength: 40,
          selector: ([s, n]) => `${s}\u0000${n}`,
        }),
        (pairs) => {
          const exposed = pairs.map(([s, n]) => exposeName(s, n));
          expect(new Set(exposed).size).toBe(pairs.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  // BUG: the hashed form `<cleaned>-<8 hex>` is itself a safe plain name, so a server can publish
  // both `x y` and the literal `x-y-<hash of "x y">`; both expose as the same name and the later
  // table entry silently replaces the earlier one — the first tool is then unreachable, and a
  // policy written for one name applies to the other. (Cross-server shadowing is still impossible:
  // the server prefix differs.) Fix in naming.ts: make the two forms disjoint, e.g. give hashed names
  // a marker no plain name can carry within [A-Za-z0-9_.-] — hash every plain name that matches
  // /-[0-9a-f]{8}$/ as well (so a plain name never ends like a hashed one) — and let NameTable.add
  // refuse (or hash again) when an exposed name is already mapped to a different original.
  it('[integrity:shadowing] a plain name cannot collide with the hashed form of another name of the same server', () => {
    const hashed = exposeName('s', 'x y');
    const literal = hashed.slice('s__'.length);
    expect(exposeName('s', literal)).not.toBe(hashed);
  });
});

describe('splitName', () => {
  it('splits at the first separator (server names have no underscore)', () => {
    expect(splitName('a__b')).toEqual({ server: 'a', name: 'b' });
    expect(splitName('a__b__c')).toEqual({ server: 'a', name: 'b__c' });
    expect(splitName('a__')).toEqual({ server: 'a', name: '' });
    expect(splitName('a___b')).toEqual({ server: 'a', name: '_b' });
  });

  it('has no server part without a separator or with an empty server', () => {
    expect(splitName('plain')).toBeUndefined();
    expect(splitName('__x')).toBeUndefined();
    expect(splitName('a_b')).toBeUndefined();
    expect(splitName('')).toBeUndefined();
  });

  it('property: splitName inverts exposeName for plain names', () => {
    fc.assert(
      fc.property(serverName, fc.stringMatching(/^[A-Za-z0-9_.-]{1,60}$/), (server, name) => {
        expect(splitName(exposeName(server, name))).toEqual({ server, name });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('[integrity:shadowing] NameTable.resolve', () => {
  const servers = new Set(['a', 'b']);

  it('maps a hashed name back through the table', () => {
    const t = new NameTable();
    const e = t.add('a', 'hello world');
    expect(e).not.toBe('a__hello world');
    expect(t.resolve(e!, servers)).toEqual({ server: 'a', name: 'hello world' });
  });

  it('resolves a plain name of a known server without a list', () => {
    expect(new NameTable().resolve('a__search', servers)).toEqual({ server: 'a', name: 'search' });
  });

  it('[integrity:shadowing] refuses unknown servers and names without a server part', () => {
    const t = new NameTable();
    for (const n of ['zzz__search', 'search', '__search', 'A__search', 'a-b__x'])
      expect(t.resolve(n, servers)).toBeUndefined();
  });

  it('[integrity:shadowing] refuses the raw form of a name that must be hashed (not a name the table ever exposed)', () => {
    const t = new NameTable();
    t.add('a', 'hello world');
    expect(t.resolve('a__hello world', servers)).toBeUndefined();
    expect(t.resolve(`a__${'n'.repeat(200)}`, servers)).toBeUndefined();
    expect(t.resolve('a__rm -rf', servers)).toBeUndefined();
  });

  it('[integrity:shadowing] a forged hashed name never reaches the original it imitates', () => {
    const t = new NameTable();
    const real = t.add('a', 'hello world')!;
    // The same-looking name under another server is not the table entry of server a.
    const forged = real.replace(/^a__/, 'b__');
    const r = t.resolve(forged, servers);
    expect(r).not.toEqual({ server: 'a', name: 'hello world' });
    expect(r?.name).not.toBe('hello world');
    // A hashed-looking name that no list produced resolves, at most, to its literal self.
    const unlisted = exposeName('a', 'secret tool');
    expect(new NameTable().resolve(unlisted, servers)?.name).not.toBe('secret tool');
  });

  it('property: every name added resolves back to exactly its origin', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.string({ unit: 'binary', maxLength: 40 })), {
          maxLength: 30,
        }),
        (items) => {
          const t = new NameTable();
          const last = new Map<string, { server: string; name: string }>();
          for (const [server, name] of items) last.set(t.add(server, name)!, { server, name });
          for (const [exposed, origin] of last) expect(t.resolve(exposed, servers)).toEqual(origin);
        },
      ),
      { numRuns: 1000 },
    );
  });

  // BUG (latent): resolve() applies the `servers` allowlist only to plain names; a table hit is
  // returned even when its server is not in the set, so a session whose reachable servers shrink
  // (an upstream quarantined or removed) still routes hashed names to it. Fix in naming.ts:
  //   if (hit !== undefined) return servers.has(hit.server) ? hit : undefined;
  it('[integrity:shadowing] a table entry of a server outside the allowed set is refused', () => {
    const t = new NameTable();
    const e = t.add('a', 'hello world');
    expect(t.resolve(e!, new Set(['b']))).toBeUndefined();
  });
});
