import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { secretField, verifyServerRequest } from '../../src/stages/server-requests/index.js';

const ALL = { sampling: true, elicitation: true };
const form = (properties: Record<string, unknown>): Record<string, unknown> => ({
  message: 'Fill in',
  requestedSchema: { type: 'object', properties },
});

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_SERVER_REQUEST_REFUSED');
    return (err as WardenError).message;
  }
  return 'allowed';
}

describe('server→client request policy', () => {
  it.each([
    [{ password: { type: 'string' } }, 'password'],
    [{ userPassword: { type: 'string' } }, 'userPassword'],
    [{ api_key: { type: 'string' } }, 'api_key'],
    [{ apiKey: { type: 'string' } }, 'apiKey'],
    [{ 'client-secret': { type: 'string' } }, 'client-secret'],
    [{ GITHUB_TOKEN: { type: 'string' } }, 'GITHUB_TOKEN'],
    [{ x: { type: 'string', format: 'password' } }, 'x'],
    [{ x: { type: 'string', writeOnly: true } }, 'x'],
    [{ x: { type: 'string', title: 'Private key (PEM)' } }, 'x'],
    [{ x: { type: 'string', description: 'Your one-time passcode' } }, 'x'],
    [{ card_pin: { type: 'string' } }, 'card_pin'],
    [{ name: { type: 'string' }, x: { type: 'string', title: 'API Key' } }, 'x'],
  ])('secret field %j → %s', (props, field) => {
    expect(secretField({ type: 'object', properties: props })).toBe(field);
  });

  it.each([
    [{ name: { type: 'string' } }],
    [{ tokenizer: { type: 'string', title: 'Tokenizer model' } }],
    [{ keyboard: { type: 'string', description: 'Keyboard layout' } }],
    [{ colour: { type: 'string', enum: ['red', 'blue'] } }],
    [{ n: { type: 'integer', description: 'Your favourite integer (do not give us your pin)' } }],
  ])('ordinary field %j passes', (props) => {
    expect(secretField({ type: 'object', properties: props })).toBeUndefined();
    expect(refusal(() => verifyServerRequest('s', ALL, 'elicitation/create', form(props)))).toBe('allowed');
  });

  it('refuses secret forms always, allows URL mode', () => {
    const msg = refusal(() =>
      verifyServerRequest('s', ALL, 'elicitation/create', form({ pin: { type: 'string' } })),
    );
    expect(msg).toMatch(/field 'pin'.*use URL mode/);
    expect(
      refusal(() =>
        verifyServerRequest('s', ALL, 'elicitation/create', {
          mode: 'url',
          message: 'Sign in',
          url: 'https://example.com/login',
          elicitationId: 'e1',
        }),
      ),
    ).toBe('allowed');
  });

  it('honours allow.sampling and allow.elicitation; other methods are not this check’s business', () => {
    const none = { sampling: false, elicitation: false };
    expect(refusal(() => verifyServerRequest('s', none, 'sampling/createMessage', {}))).toBe(
      "server 's' may not request sampling",
    );
    expect(refusal(() => verifyServerRequest('s', none, 'elicitation/create', form({})))).toBe(
      "server 's' may not request elicitation",
    );
    expect(refusal(() => verifyServerRequest('s', none, 'roots/list', undefined))).toBe('allowed');
    expect(refusal(() => verifyServerRequest('s', ALL, 'sampling/createMessage', {}))).toBe('allowed');
  });
});
