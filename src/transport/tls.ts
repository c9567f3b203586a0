/**
 * TLS on the data-plane listener: the `https.createServer` options (certificate, key, oldest TLS
 * version) and a reloader that re-reads the certificate and key on an interval and on SIGHUP. A
 * changed pair is checked as a whole before it replaces the old one, so new connections get the
 * new certificate without a restart, open connections keep theirs, and a bad or half-written pair
 * is logged and ignored.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import { WardenError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/** A certificate chain and its private key, both PEM text. */
export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

/** Oldest TLS version the listener accepts. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** What the HTTPS listener is built from. */
export interface ListenerTls {
  /** The pair served at start-up. */
  readonly pair: TlsPair;
  readonly minVersion: TlsMinVersion;
  /** `Strict-Transport-Security` max-age in seconds; 0 sends no header. */
  readonly hstsMaxAgeSec: number;
}

/** Options for `https.createServer` / `setSecureContext` from a pair; throws when the pair is unusable. */
export function secureContextOptions(
  pair: TlsPair,
  minVersion: TlsMinVersion,
): SecureContextOptions & { minVersion: TlsMinVersion } {
  // minVersion goes into every context: setSecureContext() without it would fall back to Node's
  // default (TLS 1.2) and quietly undo a TLS 1.3 minimum on the first reload.
  const options = { cert: pair.cert, key: pair.key, minVersion };
  // Builds a throwaway context: OpenSSL rejects unparsable PEM and a key that does not match the
  // certificate ("key values mismatch") here, before anything is served with it.
  createSecureContext(options);
  return options;
}

/** Checks a pair at start-up; a bad one is a configuration error (ERR_CONFIG_INVALID). */
export function listenerTls(
  pair: TlsPair,
  settings: { minVersion: TlsMinVersion; hstsMaxAgeSec: number },
): ListenerTls {
  try {
    secureContextOptions(pair, settings.minVersion);
  } catch (err) {
    throw new WardenError('ERR_CONFIG_INVALID', 'listen.tls: the certificate and key are not a usable pair', {
      data: { problems: [{ path: 'listen.tls', message: describe(err) }] },
      cause: err,
    });
  }
  return { pair, minVersion: settings.minVersion, hstsMaxAgeSec: settings.hstsMaxAgeSec };
}

/** Result of one reload attempt. */
export type ReloadOutcome = 'unchanged' | 'reloaded' | 'rejected';

/** A running certificate reloader. */
export interface CertReloader {
  /** Re-reads the pair now and swaps it in when it changed and is valid. */
  reload(): Promise<ReloadOutcome>;
  /** Stops the interval and removes the SIGHUP listener. */
  stop(): void;
}

/** Settings of the reloader. */
export interface CertReloaderOptions {
  /** Reads the current pair (files are re-read on every call). */
  readonly load: () => TlsPair | Promise<TlsPair>;
  /** How often to re-read, in milliseconds. */
  readonly intervalMs: number;
  readonly log: Logger;
}

/** The part of a TLS server the reloader needs. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fingerprintOf(cert: string): string | undefined {
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch {
    return undefined;
  }
}

/** Starts re-reading the listener's pair every `intervalMs` and on SIGHUP. */
export function startCertReloader(
  server: SecureContextTarget,
  initial: ListenerTls,
  opts: CertReloaderOptions,
): CertReloader {
  let current = initial.pair;
  /** What the last refusal was about, so a rotation written file by file warns once, not per tick. */
  let rejected: string | undefined;
  let running: Promise<ReloadOutcome> | undefined;
  let stopped = false;

  const refuse = (what: string, err: unknown): ReloadOutcome => {
    const fields = { error: describe(err) };
    if (rejected === what) opts.log.debug('listener certificate not reloaded; keeping the old one', fields);
    else opts.log.warn('listener certificate not reloaded; keeping the old one', fields);
    rejected = what;
    return 'rejected';
  };

  const attempt = async (): Promise<ReloadOutcome> => {
    let pair: TlsPair;
    try {
      pair = await opts.load();
    } catch (err) {
      return refuse(`read ${describe(err)}`, err);
    }
    if (stopped || (pair.cert === current.cert && pair.key === current.key)) return 'unchanged';
    let options: SecureContextOptions;
    try {
      options = secureContextOptions(pair, initial.minVersion);
    } catch (err) {
      return refuse(`pair ${pair.cert}\0${pair.key}`, err);
    }
    server.setSecureContext(options);
    current = pair;
    rejected = undefined;
    opts.log.info('listener certificate reloaded', { fingerprint256: fingerprintOf(pair.cert) });
    return 'reloaded';
  };

  const reload = (): Promise<ReloadOutcome> => {
    // One read at a time: a SIGHUP during an interval reload joins it.
    running ??= attempt().finally(() => {
      running = undefined;
    });
    return running;
  };

  const onSignal = (): void => {
    void reload();
  };
  const timer = setInterval(onSignal, opts.intervalMs);
  timer.unref();
  process.on('SIGHUP', onSignal);

  return {
    reload,
    stop() {
      stopped = true;
      clearInterval(timer);
      process.off('SIGHUP', onSignal);
    },
  };
}
