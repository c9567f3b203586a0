/**
 * The detectors' single pass over a text (issue 5 Speed: "one pass over the text, not one regex
 * pass per rule"). One WebAssembly loop (`asm/prescan.ts`, compiled into `prescan-wasm.ts`) reads
 * every UTF-16 code unit once and does at the same time:
 *
 * - the injection scan: folds and hashes words and records the anchors (the same hits as
 *   {@link scanAnchors} in `injection.ts`, which stays as the fallback and the reference the tests
 *   compare against);
 * - for personal data: the runs of digits and separators that can hold a number or a dotted quad,
 *   and the places where an IBAN, an IPv6 address, an e-mail address (`@`) or a postcode can start;
 * - for secrets: where a token anchor can start, and the `:`/`=` separators that have a secret-ish
 *   key name close enough before them;
 * - for invisible characters and escapes: the runs of code units outside printable ASCII.
 *
 * The lists are supersets of where each detector's regular expressions can match, so a detector
 * runs its own expressions only there and finds exactly what a scan of the whole text finds (tests
 * compare both ways on corpora and generated text). A list that fills up (a text made of little but
 * candidates) is dropped and that detector scans the whole text itself.
 *
 * The detectors are called one after another on the same text (the inspect stage, `inspectText`),
 * so the result of the last pass is kept for that text and reused; {@link forgetPrescan} drops it
 * (the stage and `inspectText` when done with a text, benchmarks so every round pays for its pass).
 *
 * Without WebAssembly (`node --jitless`) {@link prescan} returns `undefined` and every detector
 * scans the whole text as before.
 */
import { CLASS_FOLD } from './fold.js';
import { FILTER, PAIRS, WORDS } from './injection-anchors.js';
import type { AnchorTable } from './injection-anchors.js';
import { ALL_FAMILIES, FAM, FOREIGN } from './injection-rules.js';
import { CJK_FOREIGN } from './injection-multilingual.js';
import { PRESCAN_WASM } from './prescan-wasm.js';

/** What the pass found in one text. Lists hold offsets into the text; `null` when a list overflowed. */
export interface Prescan {
  readonly text: string;
  /** The injection families the anchors were recorded for. */
  readonly allowed: number;
  /** Injection anchors as (start, end, families) triples, as `scanAnchors` returns them. */
  readonly hits: Int32Array;
  /** Whether the text holds kana, CJK ideographs or Hangul. */
  readonly cjk: boolean;
  /** Runs of `[0-9.]` with at least three dots and four digits: (start, end) pairs. */
  readonly ip4: Int32Array | null;
  /** Runs of `[0-9+( ./)-]` opened by `+`, `(` or a digit, with at least seven digits: (start, end) pairs. */
  readonly num: Int32Array | null;
  /** Offsets of `[A-Z][A-Z][0-9][0-9]`. */
  readonly iban: Int32Array | null;
  /** Offsets of `::` and of `:h:h:h:` (one to four hex digits each). */
  readonly ip6: Int32Array | null;
  /**
   * Offsets of `:` and `=` that can end `<key name>[\w.-]*["']?\s{0,4}` (secrets.ts
   * `KEY_SEPARATOR`): the key name's first four letters, or `pwd`/`api` ending a run of letters,
   * at most {@link KEY_REACH} before.
   */
  readonly sep: Int32Array | null;
  /** Offsets of a space before one digit and a capital, or before a run of four or five digits (postcodes). */
  readonly post: Int32Array | null;
  /** Offsets where a secret-token anchor can start (`gh?_`, `xox?-`, `AKIA`, `-----BEGIN`, `://`, …), ascending. */
  readonly token: Int32Array | null;
  /** Runs of code units other than tab, line feed and printable ASCII: (start, end) pairs. */
  readonly ctrl: Int32Array | null;
  /** Offsets of `@`. */
  readonly at: Int32Array | null;
}

/** How far before a separator a secret key name may start (secrets.ts looks back this far). */
export const KEY_REACH = 64;
/** Injection anchors kept per text (as in `scanAnchors`): start, end and families each. */
export const MAX_HITS = 3 * 4096;
/** A run of spaced-out letters is checked from its start only this far (as in `scanAnchors`). */
export const SPACED_SPAN = 600;
/** Texts up to this many code units share one module instance; a longer one gets its own. */
const SHARED_LIMIT = 1 << 20;
const PAGE = 65536;
/** Texts up to this many code units are copied in by a loop, longer ones natively. */
const SHORT_COPY = 64;
/** Lists besides the anchors (asm/prescan.ts `LISTS` - 1). */
const LISTS = 9;

/**
 * Key names of secrets.ts by their first four letters (the table the pass looks up, reading back
 * from each `:` and `=`); `pwd` and `api` also followed by any letter (at the end of a run of
 * letters the pass checks those two itself).
 */
const KEY_PREFIXES = ['secr', 'acce', 'acco', 'pass', 'toke', 'auth', 'cred', 'bear', 'priv'];
for (const three of ['pwd', 'api'])
  for (let c = 97; c <= 122; c++) KEY_PREFIXES.push(three + String.fromCharCode(c));

interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly scan: (n: number, allowed: number, lists: number, capacity: number) => void;
  readonly layout: Readonly<Record<string, number>>;
  /** Byte, code-unit and int views of the memory's current buffer. */
  bytes: Buffer;
  units: Uint16Array;
  ints: Int32Array;
}

let module: WebAssembly.Module | undefined;
let shared: Instance | undefined;
let large: WeakRef<Instance> | undefined;
let unavailable = typeof WebAssembly === 'undefined';

function global(exports: WebAssembly.Exports, name: string): number {
  const g = exports[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`prescan module lacks ${name}`);
  return g.value as number;
}

function copyTable(memory: WebAssembly.Memory, at: number, t: AnchorTable): void {
  if (t.mask !== 2047) throw new Error('prescan module expects anchor tables of 2048 slots');
  new Int32Array(memory.buffer, at, 2048).set(t.keys);
  new Uint8Array(memory.buffer, at + 8192, 2048).set(t.used);
  new Uint32Array(memory.buffer, at + 10240, 2048).set(t.values);
}

function instantiate(): Instance {
  module ??= new WebAssembly.Module(Buffer.from(PRESCAN_WASM, 'base64'));
  const exports = new WebAssembly.Instance(module, {}).exports;
  const memory = exports.memory as WebAssembly.Memory;
  const layout: Record<string, number> = {};
  for (const name of [
    'CLASS_FOLD_AT',
    'FILTER_AT',
    'WORDS_AT',
    'PAIRS_AT',
    'KEY_NAMES_AT',
    'COUNTS_AT',
    'TEXT_AT',
    'FLAGS',
  ])
    layout[name] = global(exports, name);
  const need = (layout.TEXT_AT ?? 0) - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / PAGE));
  new Int32Array(memory.buffer, layout.CLASS_FOLD_AT, 65536).set(CLASS_FOLD);
  new Uint8Array(memory.buffer, layout.FILTER_AT, 65536).set(FILTER);
  copyTable(memory, layout.WORDS_AT ?? 0, WORDS);
  copyTable(memory, layout.PAIRS_AT ?? 0, PAIRS);
  const table = new Uint8Array(memory.buffer, layout.KEY_NAMES_AT, 32768);
  for (const k of KEY_PREFIXES) {
    // Letters as the loop folds them (a = 1 … z = 26, five bits each), hashed as the loop does.
    let q = 0;
    for (let i = 0; i < 4; i++) q = (q << 5) | (k.charCodeAt(i) & 31);
    table[(q ^ (q >>> 15)) & 0x7fff] = 1;
  }
  if (global(exports, 'LISTS') - 1 !== LISTS) throw new Error('prescan module has another list layout');
  const configure = exports.configure as (...a: number[]) => void;
  configure(FAM.tag, FAM.exfil, FAM.role, SPACED_SPAN, MAX_HITS, KEY_REACH);
  return {
    memory,
    scan: exports.scan as Instance['scan'],
    layout,
    bytes: Buffer.from(memory.buffer),
    units: new Uint16Array(memory.buffer),
    ints: new Int32Array(memory.buffer),
  };
}

/** Families recorded when the caller does not say: every one, as for tool results. */
const DEFAULT_ALLOWED = ALL_FAMILIES | FOREIGN | CJK_FOREIGN;

let last: Prescan | undefined;

let enabled = true;

/**
 * Turns the single pass off (every detector then scans the whole text itself, as without
 * WebAssembly) or back on. Tests compare the two ways; the benchmark prints both.
 */
export function setPrescanEnabled(on: boolean): void {
  enabled = on;
  last = undefined;
}

/** A position in a list {@link execListed} walks. */
export interface ListCursor {
  k: number;
}

/**
 * The next match of `sticky` (an expression with the `y` flag) at one of the ascending offsets
 * `listed[at.k …]` at or after `sticky.lastIndex`: what the same expression with the `g` flag finds
 * from there, when the list holds every offset where it can match. `lastIndex` ends after the
 * match, or stays where it was when there is none.
 */
export function execListed(
  text: string,
  sticky: RegExp,
  listed: Int32Array,
  at: ListCursor,
): RegExpExecArray | null {
  const from = sticky.lastIndex;
  while (at.k < listed.length) {
    const p = listed[at.k++]!;
    if (p < from) continue;
    sticky.lastIndex = p;
    const m = sticky.exec(text);
    if (m !== null) return m;
  }
  sticky.lastIndex = from;
  return null;
}

let passes = 0;

/** How many passes this process has made (tests count them). */
export function passCount(): number {
  return passes;
}

/** The kept result if it is for `text` (any families); never scans. */
export function keptPrescan(text: string): Prescan | undefined {
  return last !== undefined && last.text === text ? last : undefined;
}

/** Drops the kept result, so the next call scans again. */
export function forgetPrescan(): void {
  last = undefined;
}

/**
 * The pass over `text` (injection anchors of every family); the kept result when it was for the
 * same text. `undefined` when WebAssembly is not available.
 */
export function prescan(text: string): Prescan | undefined {
  if (last !== undefined && last.text === text) return last;
  return prescanFor(text, DEFAULT_ALLOWED);
}

/** A new pass over `text` recording the anchors of the injection families `allowed` only; kept. */
export function prescanFor(text: string, allowed: number): Prescan | undefined {
  if (unavailable || !enabled) return undefined;
  let inst: Instance;
  try {
    if (text.length <= SHARED_LIMIT) inst = shared ??= instantiate();
    else {
      // A long text's instance (its memory five times the text's size) is held weakly: reused by
      // the next long text if the garbage collector has not taken it by then.
      const kept = large?.deref();
      inst = kept ?? instantiate();
      if (kept === undefined) large = new WeakRef(inst);
    }
  } catch {
    // A runtime without a usable WebAssembly (jitless, or a module refused): scan in JavaScript.
    unavailable = true;
    return undefined;
  }
  passes++;
  last = run(inst, text, allowed);
  return last;
}

/** An empty list, shared (lists are never written to). */
const EMPTY = new Int32Array(0);

function run(inst: Instance, text: string, allowed: number): Prescan {
  const n = text.length;
  const { memory, layout } = inst;
  const textAt = layout.TEXT_AT ?? 0;
  // Lists after the text and its sentinel space, 8-byte aligned: the anchors, then nine lists of
  // `capacity` ints. A list holds at most one entry per 16 code units of text before it is dropped.
  const capacity = (n >> 4) + 1024;
  const lists = (textAt + 2 * n + 2 + 7) & ~7;
  const end = lists + 4 * (MAX_HITS + LISTS * capacity);
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  // Views of the memory, made again only after it grew (growing replaces its buffer).
  if (inst.bytes.buffer !== memory.buffer) {
    inst.bytes = Buffer.from(memory.buffer);
    inst.ints = new Int32Array(memory.buffer);
    inst.units = new Uint16Array(memory.buffer);
  }
  const { bytes, ints } = inst;
  // A short text is copied by a loop: cheaper than the native call for a few code units.
  if (n <= SHORT_COPY) {
    const units = inst.units;
    const at = textAt >> 1;
    for (let i = 0; i < n; i++) units[at + i] = text.charCodeAt(i);
  } else bytes.write(text, textAt, 2 * n, 'utf16le');
  bytes[textAt + 2 * n] = 32; // the sentinel space after the text
  bytes[textAt + 2 * n + 1] = 0;
  inst.scan(n, allowed, lists, capacity);
  const counts = (layout.COUNTS_AT ?? 0) >> 2;
  const flags = ints[counts + (layout.FLAGS ?? 15)] ?? 0;
  const list = (k: number): Int32Array | null => {
    if ((flags & (2 << k)) !== 0) return null;
    const count = ints[counts + k] ?? 0;
    if (count === 0) return EMPTY;
    const from = (lists >> 2) + (k === 0 ? 0 : MAX_HITS + (k - 1) * capacity);
    return ints.slice(from, from + count);
  };
  return {
    text,
    allowed,
    hits: list(0) ?? EMPTY,
    cjk: (flags & 1) !== 0,
    ip4: list(1),
    num: list(2),
    iban: list(3),
    ip6: list(4),
    sep: list(5),
    post: list(6),
    token: list(7)?.sort() ?? null,
    ctrl: list(8),
    at: list(9),
  };
}
