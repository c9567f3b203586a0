/**
 * The `when` conditions of policy rules: time-of-day window in a time zone, source CIDRs, client
 * ids, tenants and risk score bounds. Compiled once; a condition on a fact Warden does not know
 * (no source address on stdio, no client id) holds for deny rules and fails for the others.
 */
import { BlockList, isIP } from 'node:net';
import type { PolicyRuleConfig } from './types.js';
import type { Problem } from './args.js';

/** The facts conditions look at. */
export interface ConditionFacts {
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The client's source address, when known. */
  readonly sourceAddress: string | undefined;
  readonly clientId: string | undefined;
  readonly tenant: string | undefined;
  /** Risk score from monitoring; 0 when none. */
  readonly risk: number;
}

/** A compiled condition set; `unknownHolds` says what a missing fact counts as. */
export type Condition = (facts: ConditionFacts, unknownHolds: boolean) => boolean;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** An IPv4-mapped IPv6 address as the IPv4 address it stands for. */
export function plainAddress(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m?.[1] ?? addr;
}

function compileCidrs(list: readonly string[], at: string, problems: Problem[]): BlockList {
  const bl = new BlockList();
  list.forEach((c, i) => {
    const [addr = '', bits] = c.split('/');
    const a = plainAddress(addr);
    const v = isIP(a);
    const prefix = bits === undefined ? (v === 6 ? 128 : 32) : Number(bits);
    if (v === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (v === 6 ? 128 : 32)) {
      problems.push({ path: `${at}.${i}`, message: 'not an IPv4/IPv6 address or CIDR' });
      return;
    }
    bl.addSubnet(a, prefix, v === 6 ? 'ipv6' : 'ipv4');
  });
  return bl;
}

/** Compiles a rule's `when` block; problems are pushed with their config path. */
export function compileWhen(
  when: NonNullable<PolicyRuleConfig['when']>,
  at: string,
  problems: Problem[],
): Condition {
  const parts: Condition[] = [];
  if (when.hours !== undefined) {
    const { from, to, timezone } = when.hours;
    let fmt: Intl.DateTimeFormat | undefined;
    try {
      fmt = new Intl.DateTimeFormat('en-GB', {
        timeZone: timezone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      problems.push({ path: `${at}.hours.timezone`, message: `unknown time zone ${timezone}` });
    }
    const f = minutes(from);
    const t = minutes(to);
    if (f === t) problems.push({ path: `${at}.hours`, message: 'from and to are equal (an empty window)' });
    const format = fmt;
    parts.push((facts) => {
      if (format === undefined) return false;
      let h = 0;
      let m = 0;
      for (const p of format.formatToParts(facts.now)) {
        if (p.type === 'hour') h = Number(p.value);
        else if (p.type === 'minute') m = Number(p.value);
      }
      const x = h * 60 + m;
      return f < t ? x >= f && x < t : x >= f || x < t;
    });
  }
  if (when.sourceCidrs !== undefined) {
    const bl = compileCidrs(when.sourceCidrs, `${at}.sourceCidrs`, problems);
    parts.push((facts, unknownHolds) => {
      if (facts.sourceAddress === undefined) return unknownHolds;
      const a = plainAddress(facts.sourceAddress);
      const v = isIP(a);
      if (v === 0) return unknownHolds;
      return bl.check(a, v === 6 ? 'ipv6' : 'ipv4');
    });
  }
  if (when.clientIds !== undefined) {
    const set = new Set(when.clientIds);
    parts.push((facts, u) => (facts.clientId === undefined ? u : set.has(facts.clientId)));
  }
  if (when.tenants !== undefined) {
    const set = new Set(when.tenants);
    parts.push((facts, u) => (facts.tenant === undefined ? u : set.has(facts.tenant)));
  }
  if (when.maxRisk !== undefined) {
    const max = when.maxRisk;
    parts.push((facts) => facts.risk <= max);
  }
  if (when.minRisk !== undefined) {
    const min = when.minRisk;
    parts.push((facts) => facts.risk >= min);
  }
  return (facts, unknownHolds) => parts.every((p) => p(facts, unknownHolds));
}
