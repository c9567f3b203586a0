/**
 * Server→client requests (issue 4, `policy:sampling-elicitation`): which requests an upstream may
 * send the user through Warden. Sampling and elicitation are allowed per server by config; a
 * form-mode elicitation that asks for a password, key, token or other secret is refused always,
 * because a form's answer travels back through the upstream in clear and MCP says secrets must be
 * asked for out of band (URL mode). A refused request is answered to the upstream with an error and
 * never reaches the client.
 */
import { WardenError } from '../../core/errors.js';

/** Which server→client requests one upstream may send (config `servers.<name>.allow`). */
export interface ServerRequestAllow {
  /** `sampling/createMessage` may reach the client (default true). */
  readonly sampling: boolean;
  /** `elicitation/create` may reach the client (default true; secret-asking forms are refused anyway). */
  readonly elicitation: boolean;
}

/**
 * Words that mark a form field as a secret, matched as whole words of the property's name, title
 * or description after splitting camelCase, snake_case and kebab-case (so `apiKey`, `api_key` and
 * "API key" all match, while `tokenizer` or `keyboard` do not).
 */
export const SECRET_WORDS: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'credential',
  'credentials',
  'otp',
  'totp',
  'pincode',
  'privatekey',
  'accesskey',
  'secretkey',
  'signingkey',
];

/**
 * Words that mark a secret only as (a word of) the property's name: in prose they are too common,
 * as in "do not give us your pin".
 */
export const SECRET_NAME_WORDS: readonly string[] = ['pin'];

/** Two-word phrases that mark a secret (`api key`, `private key`, …), joined as in SECRET_WORDS. */
const SECRET_PAIRS = new Set([
  'api key',
  'private key',
  'access key',
  'secret key',
  'signing key',
  'pin code',
]);
const SECRET_SET = new Set(SECRET_WORDS);

/** Lower-case words of an identifier or sentence: `apiKey` → api, key; `client_secret` → client, secret. */
function words(text: string): string[] {
  return text
    .slice(0, 1024)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

function secretText(text: unknown, nameWords = false): boolean {
  if (typeof text !== 'string') return false;
  const ws = words(text);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as string;
    if (SECRET_SET.has(w) || (nameWords && SECRET_NAME_WORDS.includes(w))) return true;
    const next = ws[i + 1];
    if (next !== undefined && SECRET_PAIRS.has(`${w} ${next}`)) return true;
  }
  return false;
}

/** The first property of a form's `requestedSchema` that asks for a secret, or undefined. */
export function secretField(requestedSchema: unknown): string | undefined {
  if (requestedSchema === null || typeof requestedSchema !== 'object') return undefined;
  const props = (requestedSchema as Record<string, unknown>).properties;
  if (props === null || typeof props !== 'object') return undefined;
  for (const [name, raw] of Object.entries(props as Record<string, unknown>)) {
    const p = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    if (p.format === 'password' || p.writeOnly === true) return name;
    if (secretText(name, true) || secretText(p.title) || secretText(p.description)) return name;
  }
  return undefined;
}

/** Throws ERR_SERVER_REQUEST_REFUSED when `server` may not send `method` with `params` to the client. */
export function verifyServerRequest(
  server: string,
  allow: ServerRequestAllow,
  method: string,
  params: Record<string, unknown> | undefined,
): void {
  if (method === 'sampling/createMessage' && !allow.sampling) {
    throw new WardenError('ERR_SERVER_REQUEST_REFUSED', `server '${server}' may not request sampling`, {
      data: { server, method },
    });
  }
  if (method !== 'elicitation/create') return;
  if (!allow.elicitation) {
    throw new WardenError('ERR_SERVER_REQUEST_REFUSED', `server '${server}' may not request elicitation`, {
      data: { server, method },
    });
  }
  // Form is the default mode (a 2025-06-18 elicitation has no mode at all).
  const mode = params?.mode ?? 'form';
  if (mode !== 'form') return;
  const field = secretField(params?.requestedSchema);
  if (field !== undefined) {
    throw new WardenError(
      'ERR_SERVER_REQUEST_REFUSED',
      `Warden refuses form elicitations that ask for a password, key, token or other secret (field '${field.slice(0, 64)}'); use URL mode`,
      { data: { server, method, field: field.slice(0, 64) } },
    );
  }
}
