/**
 * The naming rule of the aggregate endpoint `/mcp`: every tool, prompt and resource template is
 * exposed as `<server>__<name>`, so two servers can never shadow each other. Server names contain
 * no underscore, so the first `__` always ends the server part. Exposed names stay within
 * `[A-Za-z0-9_.-]` and at most 128 characters: a name that would not is cleaned and shortened, and
 * given an 8-hex suffix from its SHA-256 so distinct names stay distinct (then only the table of the
 * last list maps it back).
 */
import { createHash } from 'node:crypto';

/** Separator between server and item name. */
export const SEP = '__';
/** Longest exposed name. */
export const MAX_NAME = 128;
const SAFE = /^[A-Za-z0-9_.-]+$/;
const HASHED = /-[0-9a-f]{8}$/;

/** The exposed name of `name` from `server`. */
export function exposeName(server: string, name: string): string {
  const plain = `${server}${SEP}${name}`;
  // A plain name that looks like a hashed one is hashed too, so the two forms can never collide.
  if (SAFE.test(name) && plain.length <= MAX_NAME && !HASHED.test(name)) return plain;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const room = MAX_NAME - server.length - SEP.length - 9;
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, Math.max(room, 0));
  return `${server}${SEP}${cleaned}-${hash}`;
}

/** Splits an exposed plain name back into server and name; undefined when it has no server part. */
export function splitName(exposed: string): { server: string; name: string } | undefined {
  const i = exposed.indexOf(SEP);
  if (i <= 0) return undefined;
  return { server: exposed.slice(0, i), name: exposed.slice(i + SEP.length) };
}

/** Maps exposed names back to (server, original name), filled from list results. */
export class NameTable {
  private readonly map = new Map<string, { server: string; name: string }>();

  /**
   * Records an item and returns its exposed name, or undefined when that name already stands for
   * a different item (a 32-bit hash collision): the first keeps it, the second is not exposed.
   */
  add(server: string, name: string): string | undefined {
    const exposed = exposeName(server, name);
    const had = this.map.get(exposed);
    if (had !== undefined && (had.server !== server || had.name !== name)) return undefined;
    this.map.set(exposed, { server, name });
    return exposed;
  }

  /** Resolves an exposed name: the table first, then the plain split when the name is plain. */
  resolve(exposed: string, servers: ReadonlySet<string>): { server: string; name: string } | undefined {
    const hit = this.map.get(exposed);
    if (hit !== undefined) return servers.has(hit.server) ? hit : undefined;
    const s = splitName(exposed);
    if (s === undefined || !servers.has(s.server)) return undefined;
    // A hashed name is only valid through the table; a plain one maps to itself.
    return exposeName(s.server, s.name) === exposed ? s : undefined;
  }
}
