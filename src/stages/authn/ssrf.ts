/**
 * SSRF guard for URLs Warden learns from fetched documents (discovery metadata's `jwks_uri` and
 * `introspection_endpoint`, redirect targets): https only (http only when `allowInsecure`), and
 * the resolved address must not be private, link-local, unspecified, multicast, reserved or (unless
 * `allowInsecure`) loopback. The connection goes to the very address that was checked, every
 * redirect hop is checked again, and the body and time are capped. URLs the operator wrote in
 * config are trusted as written; callers do not use the guard for them.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { WardenError } from '../../core/errors.js';

/** How guarded fetches behave. */
export interface FetchPolicy {
  /** Allow http and loopback targets (local development and tests); default policy is https, no loopback. */
  readonly allowInsecure: boolean;
  /** Whole-exchange deadline including redirects and the body, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Largest response body accepted, in bytes (default 1 MiB). */
  readonly maxBytes?: number;
  /** Redirect hops followed, each checked again (default 3; 0 follows none). */
  readonly maxRedirects?: number;
  /** Name resolution (default `dns.lookup` with all addresses); a test hook. */
  readonly lookup?: (host: string) => Promise<readonly { address: string; family: number }[]>;
}

/** Why a guarded fetch failed, in `data.reason` of its ERR_AUTHN_UNAVAILABLE. */
export type FetchFault = 'ssrf' | 'redirects' | 'timeout' | 'too-large' | 'network';

/** A URL that passed the guard, with the address the connection must go to. */
export interface VettedTarget {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 3;

// BlockList matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against the IPv4 rules by itself. Ranges that
// embed an IPv4 address in other ways (NAT64, 6to4, IPv4-compatible, SIIT) are refused whole: an
// IdP has no business behind them, and fail-closed beats decoding each.
const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast
] as const)
  forbidden.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified and IPv4-compatible (::1 is judged separately below)
  ['::ffff:0:0:0', 96], // SIIT IPv4-translated
  ['64:ff9b::', 96], // NAT64 well-known
  ['64:ff9b:1::', 48], // NAT64 local-use
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
] as const)
  forbidden.addSubnet(net, prefix, 'ipv6');
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True when Warden must not connect to `ip`: private, link-local, unspecified, multicast,
 * reserved, or loopback unless `allowLoopback`; IPv4-mapped IPv6 is judged as its IPv4 address.
 * Anything that is not an IP literal (including zoned IPv6) is forbidden.
 */
export function isForbiddenAddress(ip: string, allowLoopback: boolean): boolean {
  const v = isIP(ip);
  if (v === 0 || ip.includes('%')) return true;
  const type = v === 4 ? 'ipv4' : 'ipv6';
  if (loopback.check(ip, type)) return !allowLoopback;
  return forbidden.check(ip, type);
}

function refuse(reason: FetchFault, url: URL | string, cause?: unknown, message?: string): WardenError {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = 'invalid';
  }
  return new WardenError('ERR_AUTHN_UNAVAILABLE', message, { data: { reason, url: origin }, cause });
}

async function defaultLookup(host: string): Promise<readonly { address: string; family: number }[]> {
  return dnsLookup(host, { all: true, verbatim: true });
}

/**
 * Checks a learned URL: scheme, no embedded credentials, and every address its host resolves to;
 * returns the address to connect to. Throws ERR_AUTHN_UNAVAILABLE with reason `ssrf` (or
 * `network` when the name does not resolve).
 */
export async function vetUrl(url: string | URL, policy: FetchPolicy): Promise<VettedTarget> {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw refuse('ssrf', '', err, 'A learned URL is not a valid URL.');
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && policy.allowInsecure))
    throw refuse('ssrf', u, undefined, `A learned URL uses ${u.protocol} where only https is allowed.`);
  if (u.username !== '' || u.password !== '')
    throw refuse('ssrf', u, undefined, 'A learned URL carries credentials.');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: readonly { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (policy.lookup ?? defaultLookup)(host);
    } catch (err) {
      throw refuse('network', u, err, 'A learned host name does not resolve.');
    }
  }
  // Every answer must pass, so a name cannot mix a public address with an internal one.
  const first = addresses[0];
  if (first === undefined) throw refuse('network', u, undefined, 'A learned host name does not resolve.');
  for (const a of addresses)
    if (isForbiddenAddress(a.address, policy.allowInsecure))
      throw refuse('ssrf', u, undefined, 'A learned URL resolves to an address Warden must not reach.');
  return { url: u, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** An agent whose every connection goes to the vetted address, whatever DNS says by then. */
function pinnedAgent(target: VettedTarget, timeoutMs: number): Agent {
  const lookup = (
    _host: string,
    options: LookupOptions,
    cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (options.all === true) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  return new Agent({ connect: { lookup, timeout: timeoutMs }, connections: 1, pipelining: 0 });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([204, 205, 304]);

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number, url: URL): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes)
      throw refuse('too-large', url, undefined, 'A learned URL answered with a body too large.');
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/**
 * A fetch for learned URLs, usable as jose's and oauth4webapi's `customFetch`. It follows
 * redirects itself (GET and HEAD only, at most `maxRedirects`, each hop vetted), whatever the
 * caller's `redirect` says: those libraries ask for `manual` because they cannot vet a hop, and
 * this fetch does. Failures throw ERR_AUTHN_UNAVAILABLE with `data.reason` and the URL's origin;
 * a caller's own abort signal rejects with its reason as fetch does.
 */
export function safeFetch(policy: FetchPolicy): typeof fetch {
  return guardedFetch(policy, false);
}

/**
 * The same capped fetch for a URL the operator wrote in config: the first hop goes where the
 * operator said (http or https, any address), but a redirect target is learned, so every later
 * hop is vetted as safeFetch vets it.
 */
export function trustedFetch(policy: FetchPolicy): typeof fetch {
  return guardedFetch(policy, true);
}

function guardedFetch(policy: FetchPolicy, trustFirstHop: boolean): typeof fetch {
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = policy.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = policy.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

  return async (input, init) => {
    const req = new Request(input, init);
    let method = req.method;
    let body: Buffer | undefined =
      method === 'GET' || method === 'HEAD' ? undefined : Buffer.from(await req.arrayBuffer());
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    // The body is handed on as is, so it must arrive unencoded.
    headers['accept-encoding'] = 'identity';
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal != null ? AbortSignal.any([init.signal, deadline]) : deadline;

    let url = new URL(req.url);
    for (let hop = 0; ; hop++) {
      let agent: Agent;
      if (hop === 0 && trustFirstHop) {
        if (url.protocol !== 'https:' && url.protocol !== 'http:')
          throw refuse('ssrf', url, undefined, `A configured URL uses ${url.protocol}.`);
        agent = new Agent({ connect: { timeout: timeoutMs }, connections: 1, pipelining: 0 });
      } else agent = pinnedAgent(await vetUrl(url, policy), timeoutMs);
      try {
        let res: Dispatcher.ResponseData;
        try {
          res = await request(url, { dispatcher: agent, method, headers, body, signal });
        } catch (err) {
          if (init?.signal?.aborted === true) throw init.signal.reason;
          if (deadline.aborted) throw refuse('timeout', url, err, 'A learned URL did not answer in time.');
          throw refuse('network', url, err, 'A learned URL could not be reached.');
        }
        const location = res.headers.location;
        if (
          REDIRECTS.has(res.statusCode) &&
          typeof location === 'string' &&
          (method === 'GET' || method === 'HEAD')
        ) {
          await res.body.dump();
          if (hop >= maxRedirects)
            throw refuse('redirects', url, undefined, 'A learned URL redirects too often.');
          let next: URL;
          try {
            next = new URL(location, url);
          } catch (err) {
            throw refuse('ssrf', url, err, 'A learned URL redirects to something that is not a URL.');
          }
          // Credentials never follow a redirect to another origin.
          if (next.origin !== url.origin) {
            delete headers.authorization;
            delete headers.cookie;
          }
          if (res.statusCode === 303 && method !== 'HEAD') method = 'GET';
          body = undefined;
          url = next;
          continue;
        }
        let bytes: Buffer;
        try {
          bytes = await readCapped(res.body, maxBytes, url);
        } catch (err) {
          res.body.destroy();
          if (err instanceof WardenError) throw err;
          if (init?.signal?.aborted === true) throw init.signal.reason;
          if (deadline.aborted) throw refuse('timeout', url, err, 'A learned URL did not answer in time.');
          throw refuse('network', url, err, 'A learned URL could not be reached.');
        }
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue;
          for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
        }
        return new Response(NULL_BODY.has(res.statusCode) || method === 'HEAD' ? null : bytes, {
          status: res.statusCode,
          headers: out,
        });
      } finally {
        // The body is read (or abandoned) by now; nothing on this agent is worth waiting for.
        agent.destroy().catch(() => undefined);
      }
    }
  };
}
