/**
 * A mixed-text corpus for the detector benchmark: English prose, JSON records, code and log lines,
 * with a small rate (about 1 % of chunks) of real-looking secrets and personal data, generated
 * from a seed so every run measures the same text. Secrets are assembled at run time; none is
 * stored in the repository.
 */

/** A seeded generator of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not this are or from at which but have an ' +
  'they you were there been one all we their has would when if can more other will some what time ' +
  'about only like out now into them then than its over also new first after may people way could ' +
  'made well should because many most such where through back years much work call system data ' +
  'server tool result request response value config user file path error message network client ' +
  'session token password secret report weather forecast invoice customer order shipment'
).split(' ');

/** `size` characters of mixed text (prose 30 %, JSON 25 %, code 20 %, logs 24.5 %, sensitive 0.5 %). */
export function mixedText(size: number, seed = 1): string {
  const rnd = random(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
  const int = (n: number): number => Math.floor(rnd() * n);
  const chars = (n: number, alphabet: string): string => {
    let o = '';
    for (let i = 0; i < n; i++) o += alphabet[int(alphabet.length)];
    return o;
  };
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const HEX = '0123456789abcdef';
  const prose = (): string => {
    const w: string[] = [];
    for (let i = 8 + int(20); i > 0; i--) w.push(pick(WORDS));
    const s = w.join(' ');
    return s[0]?.toUpperCase() + s.slice(1) + '. ';
  };
  const json = (): string =>
    JSON.stringify({
      id: int(1e6),
      name: `${pick(WORDS)}-${pick(WORDS)}`,
      created: `2026-11-${10 + int(19)}T0${int(9)}:${10 + int(49)}:${10 + int(49)}.${100 + int(899)}Z`,
      version: `1.${int(20)}.${int(9)}`,
      uuid: `${chars(8, HEX)}-${chars(4, HEX)}-4${chars(3, HEX)}-a${chars(3, HEX)}-${chars(12, HEX)}`,
      tags: [pick(WORDS), pick(WORDS)],
      count: int(5000),
      price: `${int(900)}.${10 + int(89)}`,
      ok: rnd() > 0.5,
    }) + '\n';
  const code = (): string =>
    `export async function ${pick(WORDS)}${pick(WORDS)}(req: Request): Promise<Response> {\n` +
    `  const res = await fetch(\`https://api.example.com/v1/${pick(WORDS)}/\${req.id}\`, { method: 'POST' });\n` +
    `  if (res.status !== 200) throw new Error('${pick(WORDS)} failed: ' + res.status);\n` +
    `  return res.json(); // ${prose()}\n}\n`;
  const log = (): string =>
    `2026-11-30T02:${10 + int(49)}:${10 + int(49)}.${100 + int(899)}Z INFO [worker-${int(8)}] GET /api/items/${int(99999)} ` +
    `200 ${int(900)}ms ip=10.0.${int(255)}.${int(255)} commit ${chars(40, HEX)}\n`;
  const sensitive = (): string =>
    pick([
      () => `export GITHUB_TOKEN=ghp_${chars(36, ALNUM)}\n`,
      () => `Contact jane.doe${int(99)}@example.org or +1 415 555 ${1000 + int(8999)} for details.\n`,
      () => `Card on file: 4111 1111 1111 1111, expires 12/29.\n`,
      () => `aws_secret_access_key = ${chars(40, ALNUM)}\n`,
      () => `{"password": "${chars(18, ALNUM)}"}\n`,
      () => `Pay to IBAN DE89 3704 0044 0532 0130 00 by Friday.\n`,
      () => `SSN 123-45-${1000 + int(8999)} on the form.\n`,
      () => `colour \u001b[31mred\u001b[0m and a zero\u200Bwidth space\n`,
    ])();
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const r = rnd();
    const p = r < 0.3 ? prose() : r < 0.55 ? json() : r < 0.75 ? code() : r < 0.995 ? log() : sensitive();
    parts.push(p);
    len += p.length;
  }
  return parts.join('').slice(0, size);
}
