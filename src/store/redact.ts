/**
 * Redaction of tool arguments for display to approvers (approval queue, admin API). A stop-gap
 * until content inspection (issue 5) supplies proper detectors: the rule is deliberately blunt.
 *
 * Rule: a value under a key whose name looks like a secret (password, passwd, pwd, secret, token,
 * key, apikey, authorization, auth, credential, cookie, session, private, signature, bearer; case-
 * and separator-insensitive substring match) becomes `[redacted]`; strings longer than
 * {@link MAX_SHOWN_CHARS} are cut and marked; nesting deeper than {@link MAX_DEPTH} becomes
 * `[nested]`; arrays show at most {@link MAX_ITEMS} items and objects at most {@link MAX_ITEMS} keys.
 */

/** Longest string shown to an approver, in characters (longer ones are truncated). */
export const MAX_SHOWN_CHARS = 200;
/** Deepest nesting shown (objects and arrays below become `[nested]`). */
export const MAX_DEPTH = 4;
/** Most array items or object keys shown per level. */
export const MAX_ITEMS = 50;

const SECRET_KEY =
  /pass(?:word|wd)?|pwd|secret|token|key|authori[sz]ation|^auth$|auth_?header|credential|cookie|session|private|signature|bearer/;

/** True when an argument name looks like it holds a secret. */
export function isSecretKey(name: string): boolean {
  return SECRET_KEY.test(name.toLowerCase().replace(/[-\s.]/g, '_'));
}

function shown(value: unknown, depth: number): unknown {
  if (typeof value === 'string')
    return value.length > MAX_SHOWN_CHARS
      ? `${value.slice(0, MAX_SHOWN_CHARS)}…[${value.length - MAX_SHOWN_CHARS} more chars]`
      : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) {
    const out = value.slice(0, MAX_ITEMS).map((v) => shown(v, depth + 1));
    if (value.length > MAX_ITEMS) out.push(`[${value.length - MAX_ITEMS} more items]`);
    return out;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  // fromEntries defines own properties, so a `__proto__` key from JSON stays plain data.
  const out: [string, unknown][] = entries
    .slice(0, MAX_ITEMS)
    .map(([k, v]) => [k, isSecretKey(k) ? '[redacted]' : shown(v, depth + 1)]);
  if (entries.length > MAX_ITEMS) out.push(['[more]', `${entries.length - MAX_ITEMS} more keys`]);
  return Object.fromEntries(out);
}

/** A copy of tool arguments safe to show an approver (see the rule above); the input is untouched. */
export function redactArgs(args: unknown): unknown {
  return shown(args, 0);
}
