/**
 * Generated sample secrets for the detector tests: one per preset format, built at run time from
 * a seeded generator so no real-looking secret is committed to the repository.
 */

/** A deterministic generator of random strings over an alphabet. */
export function generator(seed = 7): (n: number, alphabet?: string) => string {
  let s = seed;
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return (n, alphabet = ALNUM) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      // mulberry32
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      out += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
    }
    return out;
  };
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One sample per preset message: the text, the secret span inside it, and a file name for secretlint. */
export interface SecretSample {
  readonly messageId: string;
  readonly presetRule: string;
  readonly wardenRule: string;
  readonly text: string;
  /** The secret value that must be found and must never appear in evidence. */
  readonly secret: string;
  /** File path handed to secretlint's own lint (some rules look at the file name). */
  readonly filePath: string;
}

/** Samples for every preset message the fast path covers. */
export function presetSamples(seed = 7): SecretSample[] {
  const r = generator(seed);
  const P = '@secretlint/secretlint-rule-';
  const pemBody = 'MII' + r(600, BASE64);
  const pem = [
    '-----BEGIN RSA PRIVATE KEY-----',
    ...(pemBody.match(/.{1,64}/g) ?? []),
    '-----END RSA PRIVATE KEY-----',
  ].join('\n');
  let opsJson = JSON.stringify({
    email: `${r(12).toLowerCase()}@1passwordserviceaccounts.lcl`,
    secretKey: `A3-${r(6, UPPER_DIGITS)}-${r(6, UPPER_DIGITS)}-${r(5, UPPER_DIGITS)}`,
    srpX: r(64, '0123456789abcdef'),
    signInAddress: 'my.1password.com',
  });
  while (opsJson.length % 3 !== 1) opsJson = opsJson.replace('{', '{ ');
  const ops = 'ops_' + Buffer.from(opsJson).toString('base64');
  const akia = 'AKIA' + r(16, UPPER_DIGITS);
  const awsSecret = r(40, BASE64.replace('+', '').replace('/', ''));
  const ghp = 'ghp_' + r(36);
  const fine = 'github_pat_' + r(82);
  const npm = 'npm_' + r(36);
  const xoxb = `xoxb-${r(10, '0123456789')}-${r(12)}-${r(24)}`;
  const hook = `https://hooks.slack.com/services/T${r(8, UPPER_DIGITS)}/B${r(8, UPPER_DIGITS)}/${r(24)}`;
  const sendgrid = `SG.${r(22)}.${r(43)}`;
  const shopify = 'shpat_' + r(32);
  const openai = `sk-${r(20)}T3BlbkFJ${r(20)}`;
  const openaiProj = `sk-proj-${r(74)}T3BlbkFJ${r(74)}`;
  const anthropic = `sk-ant-api03-${r(93)}AA`;
  const linear = 'lin_api_' + r(40);
  const basic = `https://deploy:${r(14)}@git.corp.io/team/repo.git`;
  const pg = `postgres://app:${r(14)}@db.internal.corp:5432/prod`;
  const mongo = `mongodb+srv://svc:${r(14)}@cluster0.mongodb.net/app`;
  const mysql = `mysql://svc:${r(14)}@10.1.2.3:3306/app`;
  const xoauthToken = r(40, '0123456789abcdef');
  const xoauth = `https://${xoauthToken}:x-oauth-basic@github.com/org/repo.git`;
  const npmrcToken = r(36);
  return [
    {
      messageId: 'AWSAccessKeyID',
      presetRule: `${P}aws`,
      wardenRule: 'secret.aws-access-key-id',
      text: `key id ${akia} in use`,
      secret: akia,
      filePath: 'notes.txt',
    },
    {
      messageId: 'AWSSecretAccessKey',
      presetRule: `${P}aws`,
      wardenRule: 'secret.aws-secret-access-key',
      text: `aws_secret_access_key = ${awsSecret}\n`,
      secret: awsSecret,
      filePath: 'notes.txt',
    },
    {
      messageId: 'AWSAccountID',
      presetRule: `${P}aws`,
      wardenRule: 'secret.aws-account-id',
      text: `aws_account_id: 1234-5678-9012\n`,
      secret: '1234-5678-9012',
      filePath: 'notes.txt',
    },
    {
      messageId: 'AWSAccountID',
      presetRule: `${P}aws`,
      wardenRule: 'secret.aws-account-id',
      text: `AwsAccount = 123456789012\n`,
      secret: '123456789012',
      filePath: 'notes.txt',
    },
    {
      messageId: 'PrivateKey',
      presetRule: `${P}privatekey`,
      wardenRule: 'secret.private-key',
      text: `here:\n${pem}\n`,
      secret: pemBody.slice(0, 64),
      filePath: 'notes.txt',
    },
    {
      messageId: 'NPM_ACCESS_TOKEN',
      presetRule: `${P}npm`,
      wardenRule: 'secret.npm-token',
      text: `NPM_TOKEN=${npm}`,
      secret: npm,
      filePath: 'notes.txt',
    },
    {
      messageId: 'Npmrc_authToken',
      presetRule: `${P}npm`,
      wardenRule: 'secret.npm-auth-token',
      text: `//registry.npmjs.org/:_authToken=${npmrcToken}\n`,
      secret: npmrcToken,
      filePath: '.npmrc',
    },
    {
      messageId: 'PackageJSON_xOauthToken',
      presetRule: `${P}npm`,
      wardenRule: 'secret.github-oauth-url',
      text: `{"repository": "${xoauth}"}`,
      secret: xoauthToken,
      filePath: 'package.json',
    },
    {
      messageId: 'SLACK_TOKEN',
      presetRule: `${P}slack`,
      wardenRule: 'secret.slack-token',
      text: `token ${xoxb} posted`,
      secret: xoxb,
      filePath: 'notes.txt',
    },
    {
      messageId: 'IncomingWebhook',
      presetRule: `${P}slack`,
      wardenRule: 'secret.slack-webhook',
      text: `POST ${hook}`,
      secret: hook.slice(-24),
      filePath: 'notes.txt',
    },
    {
      messageId: 'BasicAuth',
      presetRule: `${P}basicauth`,
      wardenRule: 'secret.url-credentials',
      text: `git clone ${basic}`,
      secret: basic.slice(15, 29),
      filePath: 'notes.txt',
    },
    {
      messageId: 'OPENAI_TOKEN',
      presetRule: `${P}openai`,
      wardenRule: 'secret.openai-key',
      text: `OPENAI_API_KEY=${openai}`,
      secret: openai,
      filePath: 'notes.txt',
    },
    {
      messageId: 'OPENAI_TOKEN',
      presetRule: `${P}openai`,
      wardenRule: 'secret.openai-key',
      text: `"key": "${openaiProj}"`,
      secret: openaiProj,
      filePath: 'notes.txt',
    },
    {
      messageId: 'ANTHROPIC_API_KEY',
      presetRule: `${P}anthropic`,
      wardenRule: 'secret.anthropic-key',
      text: `x-api-key: ${anthropic}`,
      secret: anthropic,
      filePath: 'notes.txt',
    },
    {
      messageId: 'LINEAR_API_TOKEN',
      presetRule: `${P}linear`,
      wardenRule: 'secret.linear-key',
      text: `linear ${linear}`,
      secret: linear,
      filePath: 'notes.txt',
    },
    {
      messageId: 'SENDGRID_KEY',
      presetRule: `${P}sendgrid`,
      wardenRule: 'secret.sendgrid-key',
      text: `mail key ${sendgrid} here`,
      secret: sendgrid,
      filePath: 'notes.txt',
    },
    {
      messageId: 'SHOPIFY_KEY',
      presetRule: `${P}shopify`,
      wardenRule: 'secret.shopify-key',
      text: `shop ${shopify}`,
      secret: shopify,
      filePath: 'notes.txt',
    },
    {
      messageId: 'GITHUB_TOKEN',
      presetRule: `${P}github`,
      wardenRule: 'secret.github-token',
      text: `GITHUB_TOKEN=${ghp}`,
      secret: ghp,
      filePath: 'notes.txt',
    },
    {
      messageId: 'GITHUB_TOKEN',
      presetRule: `${P}github`,
      wardenRule: 'secret.github-token',
      text: `pat: ${fine}`,
      secret: fine,
      filePath: 'notes.txt',
    },
    {
      messageId: 'OPS_TOKEN',
      presetRule: `${P}1password`,
      wardenRule: 'secret.1password-token',
      text: `OP_SERVICE_ACCOUNT_TOKEN ${ops}`,
      secret: ops,
      filePath: 'notes.txt',
    },
    {
      messageId: 'PostgreSQLConnection',
      presetRule: `${P}database-connection-string`,
      wardenRule: 'secret.db-connection-string',
      text: `DATABASE_URL ${pg}`,
      secret: pg.slice(15, 29),
      filePath: 'notes.txt',
    },
    {
      messageId: 'MongoDBConnection',
      presetRule: `${P}database-connection-string`,
      wardenRule: 'secret.db-connection-string',
      text: `uri ${mongo}`,
      secret: mongo.slice(18, 32),
      filePath: 'notes.txt',
    },
    {
      messageId: 'MySQLConnection',
      presetRule: `${P}database-connection-string`,
      wardenRule: 'secret.db-connection-string',
      text: `dsn ${mysql}`,
      secret: mysql.slice(12, 26),
      filePath: 'notes.txt',
    },
  ];
}
