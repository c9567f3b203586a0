/**
 * The local detectors the inspect stage runs (src/detect), behind one small interface so the
 * stage's decisions can be measured and reasoned about apart from the detectors themselves.
 */
import { detectCommandArgs } from '../../detect/command.js';
import { detectInjection } from '../../detect/injection.js';
import { classify, detectPii } from '../../detect/pii.js';
import type { Classification } from '../../detect/pii.js';
import { redactText } from '../../detect/redact.js';
import { forgetPrescan, prescan } from '../../detect/prescan.js';
import { detectSecrets } from '../../detect/secrets.js';
import type { Finding } from '../../detect/types.js';
import {
  detectAnsi,
  detectControls,
  detectInvisible,
  safeIconUri,
  sanitizeText,
} from '../../detect/unicode.js';

export type { Classification } from '../../detect/pii.js';

/** The text detectors and helpers of src/detect that the stage uses. */
export interface LocalDetectors {
  injection(text: string, kind: 'argument' | 'result'): { score: number; findings: Finding[] };
  secrets(text: string): Finding[];
  pii(text: string): Finding[];
  invisible(text: string): Finding[];
  ansi(text: string): Finding[];
  /** `invisible` and `ansi` of one text in one scan (optional: without it both are called). */
  controls?(text: string): { invisible: Finding[]; ansi: Finding[] };
  /** Called first with each text all the detectors will read (optional): the single pass over it. */
  prepare?(text: string): void;
  /** Called when the detectors are done with that text (optional): the pass's result is let go. */
  release?(): void;
  /** The text without ANSI escapes and invisible/bidi characters. */
  sanitize(text: string): string;
  command(value: string): Finding[];
  redact(text: string, findings: readonly Finding[]): string;
  classify(findings: readonly Finding[]): Classification;
  /** True for an icon URI a client may fetch (https:, data: image). */
  safeIcon(uri: string): boolean;
}

/** The detectors of src/detect. */
export const LOCAL_DETECTORS: LocalDetectors = {
  injection: (text, kind) => detectInjection(text, { kind }),
  secrets: detectSecrets,
  pii: detectPii,
  invisible: detectInvisible,
  ansi: detectAnsi,
  controls: detectControls,
  prepare: (text) => void prescan(text),
  release: forgetPrescan,
  sanitize: sanitizeText,
  command: detectCommandArgs,
  redact: redactText,
  classify,
  safeIcon: safeIconUri,
};

/** Classification labels from least to most sensitive. */
export const LABELS: readonly Classification[] = ['public', 'internal', 'confidential', 'restricted'];
