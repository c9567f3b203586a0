/**
 * The SSRF guard for learned URLs: property tests of the address rules against an independent
 * integer model, and real-socket attacks on the guarded fetch (forbidden targets, redirects to
 * internal addresses, DNS answers that change, redirect loops, huge and slow bodies).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { isForbiddenAddress, safeFetch, vetUrl } from '../../src/stages/authn/ssrf.js';
import type { FetchPolicy } from '../../src/stages/authn/ssrf.js';

// ---- property tests -------------------------------------------------------------------------

const v4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const num = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const cidr = (net: string, bits: number): [number, number] => [num(net), 2 ** (32 - bits)];

// The model: each range as [first, size] over 32-bit integers.
const PRIVATE_V4 = [
  cidr('0.0.0.0', 8),
  cidr('10.0.0.0', 8),
  cidr('100.64.0.0', 10),
  cidr('169.254.0.0', 16),
  cidr('172.16.0.0', 12),
  cidr('192.0.0.0', 24),
  cidr('192.168.0.0', 16),
  cidr('198.18.0.0', 15),
  cidr('224.0.0.0', 4),
  cidr('240.0.0.0', 4),
];
const LOOPBACK_V4 = cidr('127.0.0.0', 8);
const inRange = (n: number, [first, size]: [number, number]): boolean => n >= first && n < first + size;
const modelV4 = (n: number, allowLoopback: boolean): boolean =>
  inRange(n, LOOPBACK_V4) ? !allowLoopback : PRIVATE_V4.some((r) => inRange(n, r));

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const inAnyRange = fc
  .constantFrom(...PRIVATE_V4)
  .chain(([first, size]) => fc.integer({ min: first, max: first + size - 1 }));
const hex4 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const v6With = (first: fc.Arbitrary<number>): fc.Arbitrary<string> =>
  fc
    .tuple(first, fc.array(hex4, { minLength: 7, maxLength: 7 }))
    .map(([f, rest]) => [f.toString(16), ...rest].join(':'));

describe('isForbiddenAddress', () => {
  it('[oauth:ssrf] every IPv4 address is judged as the range model says, with and without loopback', () => {
    fc.assert(
      fc.property(u32, fc.boolean(), (n, allow) => isForbiddenAddress(v4(n), allow) === modelV4(n, allow)),
      { numRuns: 5000 },
    );
  });

  it('[oauth:ssrf] every address inside a private, link-local, CGNAT, multicast or reserved range is forbidden', () => {
    fc.assert(
      fc.property(inAnyRange, fc.boolean(), (n, allow) => isForbiddenAddress(v4(n), allow)),
      { numRuns: 2000 },
    );
  });

  it('[oauth:ssrf] an IPv4-mapped IPv6 address (dotted or hex) is judged as its IPv4 address', () => {
    fc.assert(
      fc.property(fc.oneof(u32, inAnyRange), fc.boolean(), (n, allow) => {
        const hex = `::ffff:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
        const want = modelV4(n, allow);
        return (
          isForbiddenAddress(`::ffff:${v4(n)}`, allow) === want && isForbiddenAddress(hex, allow) === want
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('[oauth:ssrf] unique-local fc00::/7, link-local fe80::/10 and multicast ff00::/8 are forbidden', () => {
    const first = fc.oneof(
      fc.integer({ min: 0xfc00, max: 0xfdff }),
      fc.integer({ min: 0xfe80, max: 0xfebf }),
      fc.integer({ min: 0xff00, max: 0xffff }),
    );
    fc.assert(
      fc.property(v6With(first), fc.boolean(), (ip, allow) => isForbiddenAddress(ip, allow)),
      { numRuns: 2000 },
    );
  });

  it('[oauth:ssrf] global unicast IPv6 (2000::/3 outside 6to4) is allowed', () => {
    const first = fc.integer({ min: 0x2000, max: 0x3fff }).filter((f) => f !== 0x2002);
    fc.assert(fc.property(v6With(first), (ip) => !isForbiddenAddress(ip, false)));
  });

  it('[oauth:ssrf] anything that is not an IP literal is forbidden (fail closed)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^[0-9a-f.:]+$/i.test(s)),
        fc.boolean(),
        (s, allow) => isForbiddenAddress(s, allow),
      ),
    );
    for (const s of ['localhost', '127.1', '0x7f000001', 'fe80::1%eth0', '', '1.2.3.4.5'])
      expect(isForbiddenAddress(s, true), s).toBe(true);
  });

  it('[oauth:ssrf] named cases: unspecified, loopback, metadata, NAT64, 6to4; public addresses pass', () => {
    for (const ip of [
      '0.0.0.0',
      '::',
      '169.254.169.254',
      'fd00:ec2::254',
      '64:ff9b::a9fe:a9fe',
      '2002:a00:1::1',
    ])
      expect(isForbiddenAddress(ip, true), ip).toBe(true);
    for (const ip of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) {
      expect(isForbiddenAddress(ip, false), ip).toBe(true);
      expect(isForbiddenAddress(ip, true), ip).toBe(false);
    }
    for (const ip of ['8.8.8.8', '20.190.160.1', '2606:4700:4700::1111'])
      expect(isForbiddenAddress(ip, false), ip).toBe(false);
  });
});

// ---- real sockets ---------------------------------------------------------------------------

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

describe('safeFetch over real sockets', () => {
  let server: Server;
  let port = 0;
  let base = '';
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      seen.push({ path, headers: req.headers });
      const redirect = (to: string): void => {
        res.writeHead(302, { location: to }).end();
      };
      const hop = /^\/hop\/(\d+)$/.exec(path);
      if (path === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      else if (path === '/to-metadata') redirect('http://169.254.169.254/latest/meta-data/');
      else if (path === '/to-internal-name') redirect(`http://internal.example:${port}/ok`);
      else if (path === '/to-idp') redirect(`http://idp.example:${port}/ok`);
      else if (path === '/to-idp-echo') redirect(`http://idp.example:${port}/echo`);
      else if (path === '/echo') res.writeHead(200).end(JSON.stringify(req.headers));
      else if (hop?.[1] !== undefined) {
        const n = Number(hop[1]);
        redirect(n === 0 ? '/ok' : `/hop/${n - 1}`);
      } else if (path === '/big') res.writeHead(200).end('x'.repeat(100_000));
      else if (path === '/slow')
        res.writeHead(200).write('{'); // never ends
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const names: Record<string, string> = { 'idp.example': '127.0.0.1', 'internal.example': '10.0.0.1' };
  const lookup: FetchPolicy['lookup'] = (host) => {
    const address = names[host];
    return address === undefined
      ? Promise.reject(new Error('ENOTFOUND'))
      : Promise.resolve([{ address, family: 4 }]);
  };
  const dev: FetchPolicy = { allowInsecure: true, lookup };

  async function refusal(p: Promise<unknown>): Promise<{ code: string; data: unknown }> {
    const err: unknown = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof WardenError)) throw new Error(`expected a WardenError, got ${String(err)}`);
    return { code: err.code, data: err.data };
  }
  const count = (path: string): number => seen.filter((s) => s.path === path).length;

  it('[oauth:ssrf] production policy: a loopback target is refused before any connection (http and https)', async () => {
    const prod: FetchPolicy = { allowInsecure: false, lookup };
    const before = seen.length;
    expect(await refusal(safeFetch(prod)(`${base}/ok`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: base },
    });
    expect(await refusal(safeFetch(prod)(`https://idp.example:${port}/ok`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: `https://idp.example:${port}` },
    });
    expect(seen.length).toBe(before);
  });

  it('[oauth:ssrf] a redirect to the cloud metadata address is refused; only the first hop was sent', async () => {
    const before = count('/to-metadata');
    expect(await refusal(safeFetch(dev)(`${base}/to-metadata`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: 'http://169.254.169.254' },
    });
    expect(count('/to-metadata')).toBe(before + 1);
  });

  it('[oauth:ssrf] each hop is resolved and re-checked: a redirect to a name resolving to 10.0.0.1 is refused', async () => {
    expect(await refusal(safeFetch(dev)(`${base}/to-internal-name`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: `http://internal.example:${port}` },
    });
  });

  it('[oauth:ssrf] a name with one internal answer among public ones is refused', async () => {
    const mixed: FetchPolicy = {
      allowInsecure: true,
      lookup: () =>
        Promise.resolve([
          { address: '20.190.160.1', family: 4 },
          { address: '10.1.2.3', family: 4 },
        ]),
    };
    expect(await refusal(vetUrl('https://idp.example/jwks', mixed))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: 'https://idp.example' },
    });
  });

  it('[oauth:ssrf] connects to the checked address: a DNS answer that changes after the check is never used', async () => {
    let calls = 0;
    const rebinding: FetchPolicy = {
      allowInsecure: true,
      lookup: () => Promise.resolve([{ address: calls++ === 0 ? '127.0.0.1' : '10.0.0.1', family: 4 }]),
    };
    const res = await safeFetch(rebinding)(`http://idp.example:${port}/ok`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(calls).toBe(1);
    expect(seen.at(-1)?.headers.host).toBe(`idp.example:${port}`);
  });

  it('[oauth:ssrf] follows at most maxRedirects hops (default 3), each one vetted', async () => {
    const ok = await safeFetch(dev)(`${base}/hop/2`);
    expect(ok.status).toBe(200);
    expect(await refusal(safeFetch(dev)(`${base}/hop/3`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'redirects', url: base },
    });
    const viaName = await safeFetch(dev)(`${base}/to-idp`);
    expect(viaName.status).toBe(200);
  });

  it('[oauth:ssrf] jose/oauth4webapi ask for redirect manual; the guard still vets and follows the hop', async () => {
    expect(
      await refusal(safeFetch(dev)(`${base}/to-metadata`, { redirect: 'manual', headers: { accept: 'x' } })),
    ).toMatchObject({ data: { reason: 'ssrf' } });
  });

  it('does not carry Authorization across origins, and never follows a POST redirect', async () => {
    const res = await safeFetch(dev)(`${base}/to-idp-echo`, { headers: { authorization: 'Basic c2VjcmV0' } });
    const echoed = (await res.json()) as Record<string, string>;
    expect(echoed.host).toBe(`idp.example:${port}`);
    expect(echoed.authorization).toBeUndefined();
    const before = count('/ok');
    const post = await safeFetch(dev)(`${base}/hop/0`, { method: 'POST', body: 'token=x' });
    expect(post.status).toBe(302);
    expect(count('/ok')).toBe(before);
  });

  it('caps the body size and the time', async () => {
    expect(await refusal(safeFetch({ ...dev, maxBytes: 10_000 })(`${base}/big`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'too-large', url: base },
    });
    const started = Date.now();
    expect(await refusal(safeFetch({ ...dev, timeoutMs: 500 })(`${base}/slow`))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'timeout', url: base },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('[oauth:ssrf] refuses other schemes and URLs with credentials', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://idp.example/x', 'gopher://idp.example/x'])
      expect(await refusal(vetUrl(url, dev)), url).toMatchObject({ data: { reason: 'ssrf' } });
    expect(await refusal(vetUrl(`http://user:pw@idp.example:${port}/ok`, dev))).toMatchObject({
      data: { reason: 'ssrf' },
    });
  });
});
