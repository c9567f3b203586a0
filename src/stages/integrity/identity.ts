/**
 * A server's identity, pinned beside its definitions (`integrity:upstream-identity`): for a stdio
 * server the command, its arguments, the package version a pinned `pkg@version` argument names and
 * the `serverInfo` name and version the server announced at initialize; for a remote server the URL
 * and the TLS identity seen on the connection (base64 SHA-256 of the leaf certificate's DER
 * SubjectPublicKeyInfo; absent for http://). A change to any of these holds every definition of
 * the server until it is approved.
 */
import { canonicalDefinition } from './canonical.js';
import type { Canonical } from './canonical.js';

/** The facts a server's identity is made of. */
export type IdentityFacts =
  | {
      readonly transport: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      /** `serverInfo` from the upstream's initialize result (name, version), when connected. */
      readonly serverInfo?: Readonly<Record<string, unknown>> | undefined;
    }
  | {
      readonly transport: 'http';
      readonly url: string;
      /** Leaf certificate SPKI SHA-256 (base64) seen on the connection; undefined for http://. */
      readonly tlsSpkiSha256?: string | undefined;
    };

/** `name@version` of a package argument with an exact version (npx/uvx/pipx style), else undefined. */
export function pinnedPackage(arg: string): { name: string; version: string } | undefined {
  // Scoped npm names start with @; the version is after the last @ and must start with a digit or v.
  const m = /^((?:@[A-Za-z0-9._-]+\/)?[A-Za-z0-9._-]+)(?:@|==)(v?\d[A-Za-z0-9.+_-]*)$/.exec(arg);
  return m === null ? undefined : { name: m[1] as string, version: m[2] as string };
}

/** The identity object that is canonicalised and pinned. */
export function identityObject(facts: IdentityFacts): Record<string, unknown> {
  if (facts.transport === 'http') {
    const out: Record<string, unknown> = { transport: 'http', url: facts.url };
    if (facts.tlsSpkiSha256 !== undefined) out.tlsSpkiSha256 = facts.tlsSpkiSha256;
    return out;
  }
  const packages = facts.args.map(pinnedPackage).filter((p) => p !== undefined);
  const out: Record<string, unknown> = {
    transport: 'stdio',
    command: facts.command,
    args: [...facts.args],
    packages: packages.map((p) => `${p.name}@${p.version}`),
  };
  const si = facts.serverInfo;
  if (si !== undefined)
    out.serverInfo = {
      ...(typeof si.name === 'string' ? { name: si.name } : {}),
      ...(typeof si.version === 'string' ? { version: si.version } : {}),
    };
  return out;
}

/** The canonical form and hash of a server's identity. */
export function canonicalIdentity(facts: IdentityFacts): Canonical {
  return canonicalDefinition(identityObject(facts));
}
