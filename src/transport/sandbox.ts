/**
 * Sandboxing of stdio children with bubblewrap (`bwrap`) and `prlimit`. `sandboxArgv` is pure: a
 * profile and the launch become one argument vector (prlimit → bwrap → the server), so the exact
 * command that runs is the command Warden logs. `probeSandbox` runs bwrap once to learn whether this
 * kernel lets it create namespaces (containers often refuse user namespaces).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../core/errors.js';

/** Resource limits applied with prlimit; each is unset (unlimited) unless given. */
export interface SandboxLimits {
  /** CPU time, in seconds (RLIMIT_CPU). */
  readonly cpuSeconds?: number | undefined;
  /** Data segment and anonymous memory, in MiB (RLIMIT_DATA; Node needs about 128). */
  readonly memoryMB?: number | undefined;
  /** Processes of the user (RLIMIT_NPROC; the kernel does not enforce it for root). */
  readonly processes?: number | undefined;
  /** Open file descriptors (RLIMIT_NOFILE). */
  readonly openFiles?: number | undefined;
}

/** A sandbox profile, as configured on a stdio server (`servers.<name>.sandbox`). */
export interface SandboxProfile {
  /** `strict`: run inside bwrap; `none`: run as is. */
  readonly profile: 'none' | 'strict';
  /** Keep the host network (default false: a private network namespace with loopback only). */
  readonly network: boolean;
  /** Bind `readablePaths` and `cwd` read-only (default true); false binds them read-write. */
  readonly readOnly: boolean;
  /** Host paths bound read-write at the same place. */
  readonly writablePaths: readonly string[];
  /** Host paths bound read-only at the same place, beyond the system directories. */
  readonly readablePaths: readonly string[];
  /** A fresh empty tmpfs on /tmp (default true); false binds the host /tmp. */
  readonly privateTmp: boolean;
  readonly limits: SandboxLimits;
  /** Run unsandboxed (logged and audited as a fail-open) when bwrap is missing or refused. */
  readonly optional: boolean;
}

/** The absolute paths of the wrapper programs. */
export interface SandboxTools {
  readonly bwrap: string;
  readonly prlimit: string;
}

/** What is launched inside the sandbox, with host facts already resolved. */
export interface SandboxTarget {
  /** Absolute path of the program (resolved on the child's PATH at start-up). */
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory of the child; `/` when undefined. */
  readonly cwd: string | undefined;
  /** Further host paths bound read-only (the program file, the directories of script arguments). */
  readonly implicitReadable: readonly string[];
}

/** System locations bound read-only when they exist: what a dynamically linked program needs to run. */
export const SYSTEM_PATHS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/localtime',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
];

/** Name-resolution files bound read-only only when the sandbox keeps the network. */
export const NETWORK_PATHS: readonly string[] = ['/etc/resolv.conf', '/etc/hosts', '/etc/gai.conf'];

/** prlimit options for the configured limits (empty when none is set). */
export function limitOptions(limits: SandboxLimits): string[] {
  const out: string[] = [];
  if (limits.cpuSeconds !== undefined) out.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.memoryMB !== undefined) out.push(`--data=${limits.memoryMB * 1024 * 1024}`);
  if (limits.processes !== undefined) out.push(`--nproc=${limits.processes}`);
  if (limits.openFiles !== undefined) out.push(`--nofile=${limits.openFiles}`);
  return out;
}

/** The full argument vector (program first) that runs `target` under `profile`. */
export function sandboxArgv(profile: SandboxProfile, target: SandboxTarget, tools: SandboxTools): string[] {
  const bw: string[] = [tools.bwrap, '--unshare-all'];
  if (profile.network) bw.push('--share-net');
  // --die-with-parent: the child cannot outlive Warden; --new-session: no TIOCSTI into a terminal.
  bw.push('--die-with-parent', '--new-session');
  for (const p of SYSTEM_PATHS) bw.push('--ro-bind-try', p, p);
  if (profile.network) for (const p of NETWORK_PATHS) bw.push('--ro-bind-try', p, p);
  bw.push('--proc', '/proc', '--dev', '/dev');
  if (profile.privateTmp) bw.push('--tmpfs', '/tmp');
  else bw.push('--bind', '/tmp', '/tmp');
  const userBind = profile.readOnly ? '--ro-bind' : '--bind';
  const mounts = new Map<string, string>();
  for (const p of target.implicitReadable) mounts.set(p, '--ro-bind');
  if (target.cwd !== undefined) mounts.set(target.cwd, userBind);
  for (const p of profile.readablePaths) mounts.set(p, userBind);
  for (const p of profile.writablePaths) mounts.set(p, '--bind');
  // Parents before children, so a writable directory inside a read-only one stays writable.
  const ordered = [...mounts.entries()].sort(([a], [b]) => depth(a) - depth(b) || a.localeCompare(b));
  for (const [p, how] of ordered) bw.push(how, p, p);
  // The root is bwrap's own tmpfs: read-only too, so only /tmp and writablePaths take writes.
  bw.push('--remount-ro', '/');
  bw.push('--chdir', target.cwd ?? '/', '--', target.command, ...target.args);
  const lim = limitOptions(profile.limits);
  return lim.length === 0 ? bw : [tools.prlimit, ...lim, '--', ...bw];
}

function depth(p: string): number {
  return p.split('/').filter((s) => s !== '').length;
}

/** Why a sandbox cannot run here, or undefined when bwrap works. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Runs bwrap once with every namespace unshared (undefined tools: not installed); the answer is cached per set of tools. */
export function probeSandbox(tools: SandboxTools | undefined): ProbeResult {
  if (tools === undefined)
    return { ok: false, reason: 'bwrap or prlimit is not installed (not found on PATH)' };
  const key = `${tools.bwrap}\n${tools.prlimit}`;
  const hit = probes.get(key);
  if (hit !== undefined) return hit;
  const r = spawnSync(tools.bwrap, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: '/usr/bin:/bin' },
  });
  let res: ProbeResult;
  if (r.error !== undefined) res = { ok: false, reason: `bwrap could not run: ${r.error.message}` };
  else if (r.status === 0) res = { ok: true };
  else {
    const said = r.stderr.trim().split('\n').slice(-1)[0] ?? '';
    res = {
      ok: false,
      reason: `bwrap was refused (exit ${r.status ?? r.signal}): ${said || 'no message'}; user namespaces may be disabled in this kernel or container`,
    };
  }
  probes.set(key, res);
  return res;
}
const probes = new Map<string, ProbeResult>();

/** The executable `name` on `searchPath` (a PATH value), or undefined; an absolute name is checked as is. */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : (searchPath ?? '')
        .split(path.delimiter)
        .filter((d) => d !== '')
        .map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

/** bwrap and prlimit on Warden's PATH, or undefined when either is missing. */
export function findTools(searchPath = process.env.PATH): SandboxTools | undefined {
  const bwrap = findExecutable('bwrap', searchPath);
  const prlimit = findExecutable('prlimit', searchPath);
  return bwrap === undefined || prlimit === undefined ? undefined : { bwrap, prlimit };
}

/**
 * Resolves the host facts of a launch for `sandboxArgv`: the program's real path, the directories
 * of arguments that name existing files (the server script and its siblings), and checks that
 * every configured path exists. Throws ERR_UPSTREAM_SANDBOX naming the server otherwise.
 */
export function resolveTarget(
  server: string,
  profile: SandboxProfile,
  launch: { command: string; args: readonly string[]; cwd: string | undefined; pathEnv: string | undefined },
): SandboxTarget {
  const fail = (msg: string): never => {
    throw new WardenError('ERR_UPSTREAM_SANDBOX', `server ${server}: ${msg}`, { data: { server } });
  };
  const cwd = launch.cwd === undefined ? undefined : path.resolve(launch.cwd);
  const found = findExecutable(launch.command, launch.pathEnv);
  if (found === undefined) return fail(`command ${launch.command} not found on the child's PATH`);
  const command = realpathSync(found);
  for (const p of [...profile.readablePaths, ...profile.writablePaths]) {
    if (!path.isAbsolute(p)) fail(`sandbox path ${p} must be absolute`);
    if (!existsSync(p)) fail(`sandbox path ${p} does not exist`);
  }
  if (cwd !== undefined && !existsSync(cwd)) fail(`cwd ${cwd} does not exist`);
  const implicit = new Set<string>([command]);
  for (const a of launch.args) {
    if (a.startsWith('-')) continue;
    const p = path.resolve(cwd ?? process.cwd(), a);
    try {
      if (statSync(p).isFile()) implicit.add(path.dirname(p));
    } catch {
      // Not a file: an ordinary argument.
    }
  }
  return { command, args: launch.args, cwd, implicitReadable: [...implicit] };
}

/** How one server's children are launched: wrapped (`strict`) or, bwrap being unavailable, as is (`fail-open`). */
export type SandboxPlan =
  | { readonly mode: 'strict'; readonly argv: readonly string[]; readonly privateTmp: boolean }
  | { readonly mode: 'fail-open'; readonly reason: string };

/**
 * Decides at start-up how `server` runs under `profile` (profile `strict`): probes bwrap, resolves
 * the paths and builds the argument vector once. Throws ERR_UPSTREAM_SANDBOX when the sandbox
 * cannot run and the profile is not optional.
 */
export function planSandbox(
  server: string,
  profile: SandboxProfile,
  launch: { command: string; args: readonly string[]; cwd: string | undefined; pathEnv: string | undefined },
  tools: SandboxTools | undefined,
): SandboxPlan {
  const probe = probeSandbox(tools);
  if (!probe.ok || tools === undefined) {
    const reason = probe.ok ? 'bwrap or prlimit is not installed' : probe.reason;
    if (profile.optional) return { mode: 'fail-open', reason };
    throw new WardenError('ERR_UPSTREAM_SANDBOX', `server ${server}: cannot sandbox: ${reason}`, {
      data: { server },
    });
  }
  const target = resolveTarget(server, profile, launch);
  return { mode: 'strict', argv: sandboxArgv(profile, target, tools), privateTmp: profile.privateTmp };
}

/** The child environment inside the sandbox: TMPDIR points at the private /tmp when it was set. */
export function sandboxEnv(plan: SandboxPlan, env: Record<string, string>): Record<string, string> {
  if (plan.mode === 'strict' && plan.privateTmp && env.TMPDIR !== undefined)
    return { ...env, TMPDIR: '/tmp' };
  return env;
}
