/**
 * Routing helpers of the aggregate endpoint: the RFC 6570 template matcher that attributes a
 * resource URI to the server whose template it fits (simple and reserved expansions), and
 * stripModernMeta, which removes exactly the three 2026-07-28 per-request keys before a request
 * goes to a session-era upstream.
 */
import { describe, expect, it } from 'vitest';
import { META } from '../../src/core/protocol.js';
import { stripModernMeta } from '../../src/route/dispatch.js';
import { templateMatcher } from '../../src/route/template.js';

/** Only `.test()` is used, as the router does. */
function matches(template: string, uri: string): boolean {
  return templateMatcher(template).test(uri);
}

describe('templateMatcher', () => {
  it('simple expansion {var} matches one segment without / ? #', () => {
    expect(matches('file:///{path}', 'file:///a.txt')).toBe(true);
    expect(matches('file:///{path}', 'file:///')).toBe(true);
    expect(matches('file:///{path}', 'file:///a/b.txt')).toBe(false);
    expect(matches('file:///{path}', 'file:///a?x=1')).toBe(false);
    expect(matches('file:///{path}', 'file:///a#frag')).toBe(false);
  });

  it('several simple expressions each match their own segment', () => {
    expect(matches('repo://{owner}/{name}/issues/{n}', 'repo://o/r/issues/42')).toBe(true);
    expect(matches('repo://{owner}/{name}/issues/{n}', 'repo://o/r/x/issues/42')).toBe(false);
    expect(matches('repo://{owner}/{name}', 'repo://o/r/extra')).toBe(false);
    expect(matches('users://{id}/profile', 'users://7/profile')).toBe(true);
    expect(matches('users://{id}/profile', 'users://7/settings')).toBe(false);
  });

  it('reserved {+var} and fragment {#var} expansions cross segments', () => {
    expect(matches('file:///{+path}', 'file:///a/b/c.txt')).toBe(true);
    expect(matches('file:///{+path}', 'file:///a/b?c#d')).toBe(true);
    expect(matches('doc://x{#section}', 'doc://x#intro/part')).toBe(true);
    expect(matches('file:///{+path}', 'http:///a')).toBe(false);
  });

  it('query expansions {?a,b} and {&c} are optional and begin with ? or &', () => {
    expect(matches('search://items{?q,limit}', 'search://items')).toBe(true);
    expect(matches('search://items{?q,limit}', 'search://items?q=x&limit=2')).toBe(true);
    expect(matches('search://items{?q,limit}', 'search://itemsX')).toBe(false);
    expect(matches('search://items?fixed=1{&q}', 'search://items?fixed=1&q=2')).toBe(true);
  });

  it('is anchored at both ends', () => {
    expect(matches('db://{table}', 'xdb://t')).toBe(false);
    expect(matches('db://{table}', 'db://t/')).toBe(false);
    expect(matches('db://{table}/rows', 'db://t/rows/1')).toBe(false);
  });

  it('treats regex metacharacters in the literal parts literally', () => {
    expect(matches('db://x.y/{id}', 'db://x.y/1')).toBe(true);
    expect(matches('db://x.y/{id}', 'db://xzy/1')).toBe(false);
    expect(matches('a+b://(c)/[d]/{id}$', 'a+b://(c)/[d]/9$')).toBe(true);
    expect(matches('a+b://(c)/[d]/{id}$', 'aab://(c)/[d]/9$')).toBe(false);
    expect(matches('q://a?b/{x}', 'q://ab/1')).toBe(false);
    expect(matches('q://a|b/{x}', 'q://a/1')).toBe(false);
    expect(matches('q://^a\\b/{x}', 'q://^a\\b/1')).toBe(true);
  });

  it('a template without expressions matches only itself', () => {
    expect(matches('config://app', 'config://app')).toBe(true);
    expect(matches('config://app', 'config://app2')).toBe(false);
  });

  // BUG (denial of service): every expression becomes an unbounded `[^/?#]*` or `.*`, so a template
  // with many adjacent expressions compiles to a regex with catastrophic (polynomial of high
  // degree) backtracking. The templates come from upstream servers (resources/templates/list) and
  // the URI from the client, so one hostile template such as `x{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}{k}{l}y`
  // plus a resources/read of `x` + 20–30 letters blocks Warden's event loop for seconds to minutes
  // (measured: 12 expressions, 32 letters ≈ 66 s). Fix in dispatch.ts: do not compile templates
  // to backtracking regexes; match with a linear-time scan instead — split the template into
  // literals and wildcard classes and run a set-of-positions (NFA) simulation, O(|uri|·|parts|),
  // returning an object with the same `test(uri)` method (and `templateMatchers: Map<string,
  // {test(uri: string): boolean}[]>` in route/session.ts). Capping expressions per template (and
  // URI length) is a stopgap only: four wildcards separated by one literal already backtrack
  // O(n⁴).
  it('matching takes linear time, even for a hostile template with many expressions', () => {
    const hostile = templateMatcher(`x${'{a}'.repeat(12)}y`);
    const t0 = performance.now();
    hostile.test(`x${'a'.repeat(16)}`);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(50);
  });
});

describe('stripModernMeta', () => {
  const modernMeta = {
    [META.protocolVersion]: '2026-07-28',
    [META.clientInfo]: { name: 'c', version: '1' },
    [META.clientCapabilities]: { sampling: {} },
  };

  it('removes the three io.modelcontextprotocol keys and keeps every other _meta key', () => {
    const params = {
      name: 't',
      arguments: { a: 1 },
      _meta: {
        ...modernMeta,
        progressToken: 'p1',
        'io.modelcontextprotocol/related-task': 'x',
        'example.com/trace': 'abc',
      },
    };
    expect(stripModernMeta(params)).toEqual({
      name: 't',
      arguments: { a: 1 },
      _meta: { progressToken: 'p1', 'io.modelcontextprotocol/related-task': 'x', 'example.com/trace': 'abc' },
    });
  });

  it('drops _meta when nothing else is left in it', () => {
    const out = stripModernMeta({ cursor: 'c', _meta: { ...modernMeta } });
    expect(out).toEqual({ cursor: 'c' });
    expect(out !== undefined && '_meta' in out).toBe(false);
  });

  it('does not modify the caller’s params', () => {
    const params = { name: 't', _meta: { ...modernMeta, progressToken: 1 } };
    const copy = structuredClone(params);
    stripModernMeta(params);
    expect(params).toEqual(copy);
  });

  it('leaves params without an object _meta alone', () => {
    expect(stripModernMeta(undefined)).toBeUndefined();
    const plain = { name: 't' };
    expect(stripModernMeta(plain)).toBe(plain);
    for (const m of [null, 'x', 5, ['io.modelcontextprotocol/protocolVersion']]) {
      const p = { name: 't', _meta: m };
      expect(stripModernMeta(p)).toBe(p);
    }
  });

  it('keeps keys that only resemble the reserved ones', () => {
    const meta = {
      'io.modelcontextprotocol/protocolversion': 'a',
      'io.modelcontextprotocol/protocolVersion ': 'b',
      protocolVersion: 'c',
      'modelcontextprotocol.io/clientInfo': 'd',
    };
    expect(stripModernMeta({ _meta: meta })).toEqual({ _meta: meta });
  });
});
