/**
 * Secret references (`env:NAME`, `file:PATH`, `keyvault:NAME[/VERSION]`) resolved once, at
 * start-up, into one read-only table that the rest of Warden asks by reference. Values never
 * appear in errors: every failure names the reference only.
 */
import type { Dispatcher } from 'undici';
import { isSecretRef, resolveSecret } from '../config/load.js';
import { isStdioServer } from '../config/schema.js';
import type { Config } from '../config/schema.js';
import { WardenError } from '../core/errors.js';
import { createKeyVault, parseKeyVaultRef } from './keyvault.js';
import type { KeyVault } from './keyvault.js';

/** Resolved secrets by reference; get() throws ERR_SECRET_UNRESOLVED for a reference that was not loaded. */
export interface SecretValues {
  /** The value of a reference. */
  get(ref: string): string;
  /** True when the reference has a value. */
  has(ref: string): boolean;
}

/** Options of `loadSecrets`. */
export interface LoadSecretsOptions {
  /** Environment for `env:` references and the managed-identity variables; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** undici dispatcher for Key Vault and Entra ID requests (a private CA, a proxy). */
  readonly dispatcher?: Dispatcher;
}

/** One secret reference and the config key path that holds it (for reports). */
export interface SecretRefAt {
  /** Dotted key path, for example `servers.gh.env.GITHUB_TOKEN`. */
  readonly path: string;
  readonly ref: string;
}

/** Every secret reference a config holds, with its key path, in config order. */
export function secretRefPaths(config: Config): SecretRefAt[] {
  const out: SecretRefAt[] = [];
  const tls = config.listen.tls;
  if (tls !== undefined) {
    out.push({ path: 'listen.tls.cert', ref: tls.cert }, { path: 'listen.tls.key', ref: tls.key });
  }
  if (config.redis !== undefined && isSecretRef(config.redis.url))
    out.push({ path: 'redis.url', ref: config.redis.url });
  const intro = config.auth.introspection;
  if (intro !== undefined) out.push({ path: 'auth.introspection.clientSecret', ref: intro.clientSecret });
  const { encryptionKey, keyVault } = config.secrets;
  if (encryptionKey !== undefined) out.push({ path: 'secrets.encryptionKey', ref: encryptionKey });
  if (keyVault?.credential.type === 'client_credentials') {
    out.push({ path: 'secrets.keyVault.credential.clientSecret', ref: keyVault.credential.clientSecret });
  }
  for (const [name, server] of Object.entries(config.servers)) {
    if (isStdioServer(server)) {
      for (const [key, value] of Object.entries(server.env)) {
        if (isSecretRef(value)) out.push({ path: `servers.${name}.env.${key}`, ref: value });
      }
    } else if (server.auth.type === 'static') {
      out.push({ path: `servers.${name}.auth.value`, ref: server.auth.value });
    } else if (server.auth.type !== 'none') {
      out.push({ path: `servers.${name}.auth.clientSecret`, ref: server.auth.clientSecret });
    }
  }
  for (const [i, d] of (config.inspection?.external ?? []).entries()) {
    if (d.key !== undefined) out.push({ path: `inspection.external[${i}].key`, ref: d.key });
  }
  return out;
}

/** Every secret reference a config holds (the known fields and stdio `env` values), each once. */
export function secretRefsOf(config: Config): string[] {
  return [...new Set(secretRefPaths(config).map((r) => r.ref))];
}

function notLoaded(ref: string): WardenError {
  return new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} was not loaded at start-up`, {
    data: { ref },
  });
}

function table(values: ReadonlyMap<string, string>): SecretValues {
  return {
    get(ref) {
      const v = values.get(ref);
      if (v === undefined) throw notLoaded(ref);
      return v;
    },
    has: (ref) => values.has(ref),
  };
}

/**
 * Resolves the given references, never throwing for one that fails: the values that resolved and
 * the failures by reference (for `check-config`, which reports each one).
 */
export async function tryResolveSecrets(
  config: Config,
  refs: readonly string[],
  opts: LoadSecretsOptions = {},
): Promise<{ values: SecretValues; failures: ReadonlyMap<string, WardenError> }> {
  const env = opts.env ?? process.env;
  const values = new Map<string, string>();
  const failures = new Map<string, WardenError>();
  const fail = (ref: string, err: unknown): void => {
    // Our own errors name the reference only; anything else is replaced rather than echoed.
    failures.set(
      ref,
      err instanceof WardenError && err.code === 'ERR_SECRET_UNRESOLVED'
        ? err
        : new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} cannot be resolved`, { data: { ref } }),
    );
  };
  const remote: string[] = [];
  for (const ref of new Set(refs)) {
    if (parseKeyVaultRef(ref) !== undefined) remote.push(ref);
    else {
      try {
        values.set(ref, resolveSecret(ref, env));
      } catch (err) {
        fail(ref, err);
      }
    }
  }
  if (remote.length > 0) {
    const kvConfig = config.secrets.keyVault;
    if (kvConfig === undefined) {
      for (const ref of remote) {
        failures.set(
          ref,
          new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} needs secrets.keyVault to be configured`, {
            data: { ref },
          }),
        );
      }
    } else {
      let kv: KeyVault;
      try {
        kv = createKeyVault(kvConfig, {
          env,
          ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
        });
      } catch (err) {
        // A bad vault setting (its message names the setting only) fails every keyvault reference.
        const why = err instanceof WardenError ? err.message : 'secrets.keyVault is unusable';
        for (const ref of remote) {
          failures.set(
            ref,
            new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} cannot be fetched: ${why}`, {
              data: { ref },
            }),
          );
        }
        return { values: table(values), failures };
      }
      // Concurrent reads share one Azure token request.
      const results = await Promise.allSettled(remote.map((ref) => kv.getSecret(ref)));
      results.forEach((r, i) => {
        const ref = remote[i] ?? '';
        if (r.status === 'fulfilled') values.set(ref, r.value);
        else fail(ref, r.reason);
      });
    }
  }
  return { values: table(values), failures };
}

/** Resolves every reference of a config (env, file, Key Vault) once, at start-up; throws ERR_SECRET_UNRESOLVED naming each reference that failed. */
export async function loadSecrets(config: Config, opts: LoadSecretsOptions = {}): Promise<SecretValues> {
  const { values, failures } = await tryResolveSecrets(config, secretRefsOf(config), opts);
  if (failures.size > 0) {
    const errors = [...failures.values()];
    const first = errors[0];
    if (errors.length === 1 && first !== undefined) throw first;
    throw new WardenError(
      'ERR_SECRET_UNRESOLVED',
      `${errors.length} secret references cannot be resolved: ${errors.map((e) => e.message).join('; ')}`,
      { data: { refs: [...failures.keys()] } },
    );
  }
  return values;
}

/** A resolver for env: and file: references only, resolved on demand (for sync call sites and tests); keyvault: references need `loadSecrets`. */
export function localSecrets(env: NodeJS.ProcessEnv = process.env): SecretValues {
  const get = (ref: string): string => {
    if (parseKeyVaultRef(ref) !== undefined) throw notLoaded(ref);
    return resolveSecret(ref, env);
  };
  return {
    get,
    has(ref) {
      try {
        get(ref);
        return true;
      } catch {
        return false;
      }
    },
  };
}
