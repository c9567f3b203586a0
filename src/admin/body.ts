/**
 * Validation of admin API request bodies: a chain of small checks, each throwing
 * ERR_ADMIN_INVALID with the offending field.
 */
import { WardenError } from '../core/errors.js';

/** A valid `POST /elevations` body. */
export interface ElevationRequestBody {
  /** Role asked for: letters, digits and `_ . : -`, at most 128 characters. */
  readonly role: string;
  /** Duration, whole seconds from 1 to `admin.maxElevationSec`. */
  readonly durationSec: number;
  /** Why, 1 to 500 characters. */
  readonly reason: string;
}

const ROLE = /^[A-Za-z0-9_.:-]{1,128}$/;

function invalid(field: string, message: string): WardenError {
  return new WardenError('ERR_ADMIN_INVALID', `${field}: ${message}`, { data: { field } });
}

function parseObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid('body', 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalid('body', 'expected a JSON object');
  return v as Record<string, unknown>;
}

/** Parses and checks a `POST /elevations` body; throws ERR_ADMIN_INVALID naming the bad field. */
export function parseElevationRequest(text: string, maxSec: number): ElevationRequestBody {
  const o = parseObject(text);
  const { role, durationSec, reason } = o;
  if (typeof role !== 'string' || !ROLE.test(role))
    throw invalid('role', 'letters, digits and _ . : - (1–128)');
  if (
    typeof durationSec !== 'number' ||
    !Number.isInteger(durationSec) ||
    durationSec < 1 ||
    durationSec > maxSec
  )
    throw invalid('durationSec', `whole seconds from 1 to ${maxSec}`);
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500)
    throw invalid('reason', '1 to 500 characters');
  return { role, durationSec, reason };
}
