/**
 * TLS towards remote upstreams: extra trusted CAs (a private CA, read once at start-up) and SPKI
 * pinning. A pinned connection is checked after the normal certificate and host name checks: the
 * base64 SHA-256 of the leaf certificate's DER SubjectPublicKeyInfo must be one of the pins, else
 * the handshake is torn down with ERR_UPSTREAM_TLS_PIN before any HTTP byte is written.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkServerIdentity, rootCertificates } from 'node:tls';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { WardenError } from '../core/errors.js';

/** TLS settings of one https upstream, ready to use. */
export interface UpstreamTls {
  /** Accepted pins: base64 SHA-256 of the DER SubjectPublicKeyInfo; empty means no pinning. */
  readonly pinSha256: readonly string[];
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  readonly ca: string | undefined;
  /** Identifies these settings, so connections with different TLS rules never share a pool. */
  readonly key: string;
}

/** The `tls` entry of an HTTP server in the config. */
export interface UpstreamTlsConfig {
  readonly pinSha256: readonly string[];
  readonly ca?: string | undefined;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function configError(at: string, message: string, cause?: unknown): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `${at}: ${message}`, {
    data: { problems: [{ path: at, message }] },
    cause,
  });
}

/** Reads the CA file and checks that every certificate in it parses (Node would skip bad ones silently). */
function readCa(at: string, file: string, cwd: string): string {
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw configError(at, `cannot read the CA file ${file}`, err);
  }
  const certs = text.match(PEM_CERT) ?? [];
  if (certs.length === 0) throw configError(at, `no PEM certificate in ${file}`);
  for (const pem of certs) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw configError(at, `a certificate in ${file} does not parse`, err);
    }
  }
  return certs.join('\n');
}

/**
 * Prepares an upstream's TLS settings at start-up (reads the CA file relative to `cwd`, default
 * the working directory); undefined when nothing is configured. Pins or a CA on an http:// URL are
 * refused (ERR_CONFIG_INVALID): there would be nothing to check them against.
 */
export function loadUpstreamTls(
  server: string,
  url: URL,
  cfg: UpstreamTlsConfig,
  cwd: string = process.cwd(),
): UpstreamTls | undefined {
  if (cfg.pinSha256.length === 0 && cfg.ca === undefined) return undefined;
  const at = `servers.${server}.tls`;
  if (url.protocol !== 'https:') throw configError(at, 'pins and CAs apply to https:// upstreams only');
  const ca = cfg.ca === undefined ? undefined : readCa(`${at}.ca`, cfg.ca, cwd);
  const pins = [...new Set(cfg.pinSha256)].sort();
  const caDigest = ca === undefined ? '' : createHash('sha256').update(ca).digest('base64');
  return { pinSha256: pins, ca, key: `pins=${pins.join(',')};ca=${caDigest}` };
}

/** The SPKI pin of a DER certificate: base64 SHA-256 of its DER SubjectPublicKeyInfo. */
export function spkiSha256(certDer: Buffer): string {
  // Not PeerCertificate.pubkey: for EC keys that is the bare curve point, not the SPKI structure.
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Verifies a presented certificate against the pins; returns ERR_UPSTREAM_TLS_PIN on a mismatch. */
export function verifyPin(host: string, cert: PeerCertificate, pins: ReadonlySet<string>): Error | undefined {
  const presented = spkiSha256(cert.raw);
  if (pins.has(presented)) return undefined;
  return new WardenError('ERR_UPSTREAM_TLS_PIN', `the TLS key of ${host} matches no configured pin`, {
    data: { host, presented },
  });
}

/**
 * Leaf SPKI pins seen per upstream authority (`host:port` as a URL's `host` gives it; bounded by
 * the configured upstreams). Keyed by authority, not host name: two upstreams on one host name
 * and different ports may present different certificates.
 */
const seenSpki = new Map<string, string>();

/**
 * The SPKI pin (base64 SHA-256) of the leaf certificate last presented at `authority` (a URL's
 * `host`: the host name and a non-default port) on an upstream connection that passed the
 * certificate checks; undefined before any TLS connection to it.
 */
export function seenSpkiOf(authority: string): string | undefined {
  return seenSpki.get(authority.toLowerCase());
}

/**
 * Node's host-name check for connections to `authority`, remembering the leaf key seen there
 * (integrity: server identity).
 */
function recorderFor(authority: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const key = authority.toLowerCase();
  return (host, cert) => {
    const err = checkServerIdentity(host, cert);
    if (err === undefined) seenSpki.set(key, spkiSha256(cert.raw));
    return err;
  };
}

/**
 * The TLS part of undici's `connect` options for these settings, for connections to `authority`
 * (the URL's `host`: where the leaf key seen is recorded).
 */
export function tlsConnectOptions(
  tls: UpstreamTls | undefined,
  authority: string,
): ConnectionOptions & {
  maxCachedSessions?: number;
} {
  // Every https upstream's leaf key is recorded for its pinned identity (docs/integrity.md); a
  // resumed session skips this check, but it resumes one this process already checked.
  const checkAndRecord = recorderFor(authority);
  const out: ConnectionOptions & { maxCachedSessions?: number } = { checkServerIdentity: checkAndRecord };
  if (tls === undefined) return out;
  // `ca` replaces Node's trust store, so the bundled roots are named again to add rather than replace.
  if (tls.ca !== undefined) out.ca = [...rootCertificates, tls.ca];
  if (tls.pinSha256.length > 0) {
    const pins: ReadonlySet<string> = new Set(tls.pinSha256);
    out.checkServerIdentity = (host, cert) => checkAndRecord(host, cert) ?? verifyPin(host, cert, pins);
    // Node skips checkServerIdentity on a resumed TLS session, so a pinned pool never resumes one:
    // every connection shows its certificate and is checked.
    out.maxCachedSessions = 0;
  }
  return out;
}
