/**
 * One JSON POST to an external detector with a timeout. Every failure (timeout, refused
 * connection, non-2xx status, a body that is not JSON) becomes ERR_INSPECT_UNAVAILABLE naming the
 * detector only: never the text sent, never the key.
 */
import { WardenError } from '../../core/errors.js';

/** Largest detector answer read, in bytes. */
const MAX_ANSWER = 262_144;

/** The unavailability error of one detector. */
export function unavailable(detector: string, why: string): WardenError {
  return new WardenError('ERR_INSPECT_UNAVAILABLE', `external detector ${detector}: ${why}`, {
    data: { detector, reason: why },
  });
}

/** POSTs `body` as JSON and returns the parsed JSON answer. */
export async function postJson(
  detector: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: unknown,
  timeoutMs: number,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw unavailable(detector, timedOut ? `no answer within ${timeoutMs} ms` : 'unreachable');
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    throw unavailable(detector, 'the answer broke off');
  }
  if (res.status < 200 || res.status > 299) throw unavailable(detector, `HTTP ${res.status}`);
  if (text.length > MAX_ANSWER) throw unavailable(detector, 'answer too large');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unavailable(detector, 'answer is not JSON');
  }
}
