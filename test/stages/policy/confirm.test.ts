/**
 * Unit tables for user confirmation (policy:approval through elicitation): which declared client
 * capabilities count as form-mode elicitation, which answers confirm, what the question shows, and
 * the compiler refusing `userConfirmation` on anything but an approve rule.
 */
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/policy-schema.js';
import type { PolicyConfig } from '../../../src/config/policy-schema.js';
import { WardenError } from '../../../src/core/errors.js';
import { compilePolicy } from '../../../src/stages/policy/index.js';
import {
  MAX_MESSAGE_CHARS,
  confirmationRequest,
  confirmed,
  supportsFormElicitation,
} from '../../../src/stages/policy/confirm.js';

describe('form-mode elicitation capability', () => {
  it.each([
    [{ elicitation: {} }, true],
    [{ elicitation: { form: {} } }, true],
    [{ elicitation: { form: {}, url: {} } }, true],
    [{ elicitation: { url: {} } }, false],
    [{ elicitation: { form: true } }, false],
    [{ elicitation: null }, false],
    [{ elicitation: [] }, false],
    [{ elicitation: true }, false],
    [{ sampling: {} }, false],
    [{}, false],
    [undefined, false],
    ['elicitation', false],
  ])('%j → %s', (caps, expected) => {
    expect(supportsFormElicitation(caps)).toBe(expected);
  });
});

describe('reading the answer', () => {
  it.each([
    [{ action: 'accept', content: { approve: true } }, true],
    [{ action: 'accept', content: { approve: true, extra: 1 } }, true],
    [{ action: 'accept', content: { approve: false } }, false],
    [{ action: 'accept', content: { approve: 'true' } }, false],
    [{ action: 'accept', content: { approve: 1 } }, false],
    [{ action: 'accept', content: { Approve: true } }, false],
    [{ action: 'accept', content: [true] }, false],
    [{ action: 'accept' }, false],
    [{ action: 'ACCEPT', content: { approve: true } }, false],
    [{ action: 'decline', content: { approve: true } }, false],
    [{ action: 'cancel' }, false],
    [[{ action: 'accept', content: { approve: true } }], false],
    [null, false],
    [undefined, false],
    ['accept', false],
  ])('%j → %s', (answer, expected) => {
    expect(confirmed(answer)).toBe(expected);
  });
});

describe('the question', () => {
  it('names rule, server and tool, redacts secret-looking arguments and asks for one boolean', () => {
    const q = confirmationRequest({ server: 'mail', name: 'send' }, 'mail-confirm', {
      to: 'a@example.com',
      smtpPassword: 'hunter2',
      body: 'x'.repeat(500),
    });
    expect(q.method).toBe('elicitation/create');
    expect(q.params.message).toContain('"mail-confirm"');
    expect(q.params.message).toContain('Server: mail');
    expect(q.params.message).toContain('Tool: send');
    expect(q.params.message).toContain('"smtpPassword": "[redacted]"');
    expect(q.params.message).not.toContain('hunter2');
    expect(q.params.message).toContain('[300 more chars]');
    expect(q.params.requestedSchema).toEqual({
      type: 'object',
      properties: {
        approve: expect.objectContaining({ type: 'boolean', default: false }) as unknown,
      },
      required: ['approve'],
    });
  });

  it('stays within the message cap however large the arguments', () => {
    const args = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'y'.repeat(200)]));
    const q = confirmationRequest({ server: 's', name: 't' }, 'r', args);
    expect(q.params.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS + 1);
  });
});

describe('userConfirmation in the policy block', () => {
  const build = (rule: Record<string, unknown>): unknown =>
    compilePolicy(policySchema.parse({ rules: [{ id: 'r', ...rule }] }) as PolicyConfig, ['files']);

  it('is accepted on approve rules and off by default', () => {
    const on = build({ effect: 'approve', tools: ['send'], userConfirmation: true }) as {
      rules: { userConfirmation: boolean }[];
    };
    expect(on.rules[0]?.userConfirmation).toBe(true);
    const off = build({ effect: 'approve', tools: ['send'] }) as { rules: { userConfirmation: boolean }[] };
    expect(off.rules[0]?.userConfirmation).toBe(false);
  });

  it.each(['allow', 'deny'])('is refused at start-up on a %s rule, with its path', (effect) => {
    let err: unknown;
    try {
      build({ effect, tools: ['send'], userConfirmation: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as WardenError).data?.problems).toContainEqual({
      path: 'policy.rules.0.userConfirmation',
      message: 'user confirmation applies to approve rules only',
    });
  });
});
