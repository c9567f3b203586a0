/**
 * Secret detector: every rule of the secretlint recommended preset is either caught by the fast
 * path and by secretlint's own async lint on the same sample, or listed as deliberately not run;
 * the entropy check flags random values next to secret-ish keys and leaves benign text alone;
 * evidence never carries the secret; adversarial inputs stay linear.
 */
import { lintSource } from '@secretlint/core';
import { creator as presetCreator } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig } from '@secretlint/types';
import { describe, expect, it } from 'vitest';
import {
  LOADED_RULES,
  NOT_RUN,
  PRESET_RULE_IDS,
  detectSecrets,
  looksSecret,
} from '../../src/detect/secrets.js';
import { generator, presetSamples } from './samples.js';

const CONFIG: SecretLintCoreConfig = {
  rules: [
    {
      id: '@secretlint/secretlint-rule-preset-recommend',
      rule: presetCreator,
      rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
    },
  ],
};

async function secretlint(text: string, filePath: string): Promise<string[]> {
  const result = await lintSource({
    source: { content: text, filePath, ext: filePath.slice(filePath.lastIndexOf('.')), contentType: 'text' },
    options: { config: CONFIG, maskSecrets: true },
  });
  return result.messages.map((m) => m.messageId);
}

describe('secrets: the secretlint recommended preset is the source of truth', () => {
  it('every preset rule is run on the fast path or listed with a reason', () => {
    expect(PRESET_RULE_IDS.length).toBeGreaterThanOrEqual(15);
    for (const id of PRESET_RULE_IDS) {
      const run = LOADED_RULES.has(id);
      const skipped = id in NOT_RUN;
      expect(run !== skipped, id).toBe(true);
      if (skipped) expect(NOT_RUN[id]!.length).toBeGreaterThan(20);
    }
    const sampled = new Set(presetSamples().map((s) => s.presetRule));
    for (const id of LOADED_RULES.keys()) expect(sampled.has(id), `no sample for ${id}`).toBe(true);
  });

  for (const s of presetSamples()) {
    it(`${s.messageId} (${s.presetRule.replace('@secretlint/secretlint-rule-', '')}) is found by both, evidence masked`, async () => {
      expect(await secretlint(s.text, s.filePath)).toContain(s.messageId);
      // The same sample inside prose and inside JSON.
      for (const text of [
        s.text,
        `Some prose first.\n${s.text}\nand after.`,
        JSON.stringify({ out: s.text }),
      ]) {
        const found = detectSecrets(text).filter((f) => f.rule === s.wardenRule);
        expect(found.length, text).toBeGreaterThanOrEqual(1);
        const f = found[0]!;
        expect(f.kind).toBe('secret');
        if (text === s.text) expect(text.slice(f.start, f.end)).toContain(s.secret.slice(0, 8));
        for (const g of detectSecrets(text)) {
          // Evidence may keep a public format prefix (at most 13 characters), never the rest.
          if (s.secret.length >= 21) expect(g.evidence).not.toContain(s.secret.slice(13, 21));
          expect(g.evidence).not.toContain(s.secret.slice(-8));
          expect(g.evidence.length).toBeLessThanOrEqual(120);
        }
      }
    });
  }

  it('agrees with secretlint on a mixed sample corpus (no finding the preset does not make, none missed)', async () => {
    const samples = presetSamples(99).filter((s) => s.filePath === 'notes.txt');
    const filler = 'The build ran at 02:14 and pushed 3 images; see https://example.com/docs for more.\n';
    const corpus = samples.map((s) => filler + s.text + '\n').join('') + filler;
    const theirs = (await secretlint(corpus, 'corpus.txt')).sort();
    const ours = detectSecrets(corpus)
      .filter(
        (f) =>
          !['secret.jwt', 'secret.password-assignment', 'secret.high-entropy-assignment'].includes(f.rule),
      )
      .map((f) => f.rule)
      .sort();
    const expected = samples.map((s) => s.wardenRule).sort();
    expect(ours).toEqual(expected);
    expect(theirs.length).toBe(expected.length);
  });

  it('ignores the preset placeholders and the AWS documentation examples, as secretlint does', async () => {
    const texts = [
      'AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'postgres://user:password@localhost/db',
      'https://user:${PASSWORD}@example.com/x',
      '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----',
    ];
    for (const t of texts) {
      expect(await secretlint(t, 'x.txt'), t).toEqual([]);
      expect(
        detectSecrets(t).filter((f) => f.rule !== 'secret.password-assignment'),
        t,
      ).toEqual([]);
    }
  });

  it('a secretlint-disable comment in the scanned text does not hide a secret', () => {
    const gh = 'ghp_' + generator(3)(36);
    const found = detectSecrets(`// secretlint-disable\nconst t = "${gh}";`);
    expect(found.map((f) => f.rule)).toContain('secret.github-token');
  });
});

describe('secrets: JWT and entropy next to secret-ish keys', () => {
  const r = generator(11);
  const positives: [string, string][] = [
    [`password = "${r(6)}!${r(6)}"`, 'secret.password-assignment'],
    [`{"db_password": "${r(14)}"}`, 'secret.password-assignment'],
    [`client_secret: ${r(32)}`, 'secret.high-entropy-assignment'],
    [`API_KEY=${r(24)}`, 'secret.high-entropy-assignment'],
    [`"apiKey": "${r(40, '0123456789abcdef')}"`, 'secret.high-entropy-assignment'],
    [`Authorization: Bearer ${r(30)}`, 'secret.high-entropy-assignment'],
    [`refresh_token=${r(48)}&x=1`, 'secret.high-entropy-assignment'],
    [`token eyJ${r(20)}.eyJ${r(40)}.${r(43)}`, 'secret.jwt'],
  ];
  for (const [text, rule] of positives) {
    it(`flags ${rule} in ${JSON.stringify(text.slice(0, 24))}…`, () => {
      const found = detectSecrets(text);
      expect(found.map((f) => f.rule)).toContain(rule);
      const value = text.slice(found[0]!.start, found[0]!.end);
      expect(value.length).toBeGreaterThanOrEqual(8);
      expect(found[0]!.evidence).not.toContain(value.slice(0, 8));
    });
  }

  it('leaves a benign corpus alone: UUIDs, git output, hashes, versions, base64 images, placeholders, code', () => {
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const benign = [
      'commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39\nAuthor: Jane <jane@example.com>\nDate: Mon Nov 30',
      '{"sha": "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", "node_id": "C_kwDOA", "tree": {"sha": "9f8e7d6c5b4a39"}}',
      'token: 550e8400-e29b-41d4-a716-446655440000',
      'request_id=550e8400-e29b-41d4-a716-446655440000 session=1',
      `{"icon": "data:image/png;base64,${png}", "secret": "data:image/png;base64,${png}"}`,
      `"integrity": "sha512-${r(86)}=="`,
      'password: ${DB_PASSWORD}\ntoken: <your-token-here>\napi_key: process.env.API_KEY\nsecret = os.environ["X"]',
      'const token = config.auth.token;\nif (token === undefined) throw new Error("no token");',
      'password=changeme123 token=xxxxxxxxxxxxxxxxxxxx secret=REDACTED',
      'The author wrote about tokens: 1200 tokens were used; max_tokens=4096, version 1.2.3.',
      '"passwordPolicy": "minimum-length-12", "auth": "oauth2-client-credentials"',
      'digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'npm install lodash@4.17.21 && git log --oneline | head',
    ];
    for (const t of benign) expect(detectSecrets(t), t).toEqual([]);
  });

  it('looksSecret: length, entropy and shape rules', () => {
    expect(looksSecret('Tr0ub4dor&3', true)).toBe(true);
    expect(looksSecret('aaaaaaaaaaaa', true)).toBe(false);
    expect(looksSecret('12345678901234567890', false)).toBe(false);
    expect(looksSecret('9f8e7d6c5b4a39281706f5e4d3c2b1a0', false)).toBe(true);
    expect(looksSecret('deadbeefdeadbeef', false)).toBe(false);
  });
});

describe('secrets: adversarial inputs stay linear', () => {
  const cases: [string, string][] = [
    ['1 MB of anchors', 'ghp_sk-AKIA-----BEGIN '.repeat(50_000)],
    ['1 MB of password=', 'password='.repeat(120_000)],
    ['1 MB of long keys before separators', ('token' + '_'.repeat(27) + '"    :').repeat(28_000)],
    ['1 MB of word runs before separators', ('a'.repeat(40) + '=').repeat(25_000)],
    ['1 MB of separators', ':='.repeat(500_000)],
    ['1 MB of :// user:pass', 'https://a:b'.repeat(100_000)],
    ['1 MB of a single token-like run', 'ghp_' + 'A'.repeat(1_000_000)],
    ['1 MB BEGIN without END', '-----BEGIN PRIVATE KEY-----\n' + 'M'.repeat(1_000_000)],
    ['1 MB of eyJ.', 'eyJaaaaaaaaaa.'.repeat(75_000)],
  ];
  for (const [name, text] of cases) {
    it(`${name} completes within 2 s`, () => {
      const t0 = performance.now();
      detectSecrets(text);
      expect(performance.now() - t0).toBeLessThan(2_000);
    });
  }
});
