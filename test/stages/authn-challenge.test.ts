/**
 * Resource-server surface: RFC 9728 metadata location and shape, RFC 6750 challenges that cannot
 * be broken by hostile text, and the step-up scope set.
 */
import { describe, expect, it } from 'vitest';
import {
  bearerChallenge,
  metadataUrl,
  protectedResourceMetadata,
  stepUpScopes,
} from '../../src/stages/authn/challenge.js';

describe('protected-resource metadata', () => {
  it('sits at the well-known path before the endpoint path, and at the root for a root resource', () => {
    expect(metadataUrl('https://warden.example/mcp/notes')).toBe(
      'https://warden.example/.well-known/oauth-protected-resource/mcp/notes',
    );
    expect(metadataUrl('https://warden.example/')).toBe(
      'https://warden.example/.well-known/oauth-protected-resource',
    );
  });

  it('names the resource, at least one authorization server, and the header method only', () => {
    const doc = protectedResourceMetadata(
      'https://warden.example/mcp',
      ['https://login.example'],
      ['notes.read'],
    );
    expect(doc).toEqual({
      resource: 'https://warden.example/mcp',
      authorization_servers: ['https://login.example'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['notes.read'],
    });
    expect(() => protectedResourceMetadata('https://warden.example/mcp', [])).toThrow();
  });
});

describe('WWW-Authenticate challenges', () => {
  it('a missing token gets resource_metadata and scope, and no error', () => {
    expect(
      bearerChallenge({
        resourceMetadata: 'https://w.example/.well-known/oauth-protected-resource/mcp',
        scopes: ['a', 'b', 'a'],
      }),
    ).toBe(
      'Bearer resource_metadata="https://w.example/.well-known/oauth-protected-resource/mcp", scope="a b"',
    );
  });

  it('a refused token adds error="invalid_token"; a too-narrow one insufficient_scope', () => {
    expect(bearerChallenge({ resourceMetadata: 'https://w.example/m', error: 'invalid_token' })).toBe(
      'Bearer resource_metadata="https://w.example/m", error="invalid_token"',
    );
    expect(
      bearerChallenge({
        resourceMetadata: 'https://w.example/m',
        error: 'insufficient_scope',
        scopes: ['x'],
      }),
    ).toContain('error="insufficient_scope"');
  });

  it('hostile text cannot add parameters or header lines', () => {
    const h = bearerChallenge({
      resourceMetadata: 'https://w.example/m',
      error: 'invalid_token',
      description: 'bad", error="none\r\nSet-Cookie: x=1',
    });
    expect(h).not.toMatch(/[\r\n]/);
    expect(h).toContain('error_description="bad\\", error=\\"noneSet-Cookie: x=1"');
    // Split the parameters outside quoted strings: exactly the three Warden wrote.
    const keys: string[] = [];
    let inQuote = false;
    let start = 'Bearer '.length;
    for (let i = start; i <= h.length; i++) {
      const c = h[i];
      if (inQuote && c === '\\') i++;
      else if (c === '"') inQuote = !inQuote;
      else if (!inQuote && (c === ',' || i === h.length)) {
        keys.push(h.slice(start, i).trim().split('=')[0] ?? '');
        start = i + 1;
      }
    }
    expect(keys).toEqual(['resource_metadata', 'error', 'error_description']);
  });
});

describe('step-up scopes', () => {
  it('keeps the granted scopes of this resource and adds the needed ones', () => {
    expect(stepUpScopes(['notes.read', 'mail.read'], ['notes.write'], ['notes.read', 'notes.write'])).toEqual(
      ['notes.read', 'notes.write'],
    );
    expect(stepUpScopes([], ['a'], ['a'])).toEqual(['a']);
  });
});
