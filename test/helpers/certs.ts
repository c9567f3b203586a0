/**
 * Test certificates made at test time with the `openssl` CLI (never checked in): a private CA, a
 * server certificate for 127.0.0.1/localhost signed by it, and a second server certificate with a
 * fresh key for rotation tests. Everything lands in a new directory under the OS temp dir.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One certificate and its key on disk. */
export interface TestCert {
  readonly certPath: string;
  readonly keyPath: string;
  /** The certificate, PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
  /** SHA-256 fingerprint as Node reports it (`AA:BB:...`). */
  readonly fingerprint256: string;
  /** The SPKI pin: base64 SHA-256 of the DER SubjectPublicKeyInfo, computed with the openssl CLI. */
  readonly pin: string;
}

/** A private CA with two server certificates it signed. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCert;
  /** A server certificate for 127.0.0.1 and localhost. */
  readonly server: TestCert;
  /** Another server certificate for the same names, with a different key (rotation). */
  readonly rotated: TestCert;
  /** Deletes the directory and everything in it. */
  remove(): void;
}

function openssl(args: string[], input?: Buffer | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The SPKI pin of a PEM certificate, by the pipeline docs/tls.md documents for operators. */
export function pinOf(certPem: string): string {
  const pub = openssl(['x509', '-pubkey', '-noout'], certPem);
  const der = openssl(['pkey', '-pubin', '-outform', 'der'], pub);
  return openssl(['dgst', '-sha256', '-binary'], der).toString('base64');
}

function load(certPath: string, keyPath: string): TestCert {
  const cert = readFileSync(certPath, 'utf8');
  return {
    certPath,
    keyPath,
    cert,
    key: readFileSync(keyPath, 'utf8'),
    fingerprint256: new X509Certificate(cert).fingerprint256,
    pin: pinOf(cert),
  };
}

function newKey(keyPath: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
}

function issue(dir: string, name: string, ca: TestCert): TestCert {
  const keyPath = path.join(dir, `${name}.key`);
  const csrPath = path.join(dir, `${name}.csr`);
  const certPath = path.join(dir, `${name}.pem`);
  const extPath = path.join(dir, `${name}.ext`);
  newKey(keyPath);
  openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=localhost', '-out', csrPath]);
  writeFileSync(
    extPath,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  openssl([
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-set_serial',
    serial,
    '-days',
    '2',
    '-sha256',
    '-extfile',
    extPath,
    '-out',
    certPath,
  ]);
  return load(certPath, keyPath);
}

/** Makes a fresh CA and two server certificates under a new temp directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-pki-'));
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.pem');
  newKey(caKey);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    '/CN=Warden Test CA',
    '-days',
    '2',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caCert,
  ]);
  const ca = load(caCert, caKey);
  return {
    dir,
    ca,
    server: issue(dir, 'server', ca),
    rotated: issue(dir, 'rotated', ca),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
