/**
 * Named `node:diagnostics_channel` channels, declared once. Metrics, tracing and tests subscribe;
 * the code that publishes checks `hasSubscribers` first so an idle channel costs nothing.
 */
import diagnostics from 'node:diagnostics_channel';

/** Published when an exchange ends: `{ record: AuditRecord }`. */
export const exchangeEnd = diagnostics.channel('warden:exchange:end');
/** Published when a session starts or ends: `{ id, event: 'start' | 'end', reason? }`. */
export const sessionEvent = diagnostics.channel('warden:session');
/** Published when an upstream child is spawned or exits: `{ server, pid, event, code? }`. */
export const upstreamProcess = diagnostics.channel('warden:upstream:process');
