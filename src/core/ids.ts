/** Identifiers from the CSPRNG. */
import { randomBytes } from 'node:crypto';

/**
 * A session id: 192 random bits as base64url (visible ASCII only, never sequential), as
 * `session:secure-id` requires (≥ 128 bits).
 */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

let exchangeCounter = 0;
const exchangePrefix = randomBytes(6).toString('base64url');

/** An exchange id: unique within the process and across restarts (random prefix + counter). */
export function newExchangeId(): string {
  exchangeCounter = (exchangeCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${exchangePrefix}-${exchangeCounter.toString(36)}`;
}
