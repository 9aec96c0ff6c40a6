/**
 * The actions the runner does on this machine instead of running them: actions/checkout (as it
 * clones), upload-artifact and download-artifact (in the run's folder, inside the workspace only),
 * and a STAND-IN for aws-actions/configure-aws-credentials (not the action).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkoutLikeActions } from '../checkout.ts';
import type { Job } from '../harness.ts';
import type { Contexts, RunOptions } from './types.ts';

export const LOCAL_ACTIONS = ['actions/checkout', 'actions/upload-artifact', 'actions/download-artifact', 'aws-actions/configure-aws-credentials'];

/** What a stand-in may use of the runner. */
export interface Host {
  opts: RunOptions;
  /** The run's folder (artifacts, log). */
  dir: string;
  log: (line: string) => void;
  mask: (value: string) => void;
}

/** The job a stand-in runs in: its environment (which it may extend), permissions and id. */
export interface JobScope {
  env: Record<string, string>;
  permissions: unknown;
  job: string;
}

/** actions/checkout, upload-artifact and download-artifact, done on this machine; a stand-in for configure-aws-credentials. */
export function runStandIn(host: Host, action: string, w: Record<string, string>, runner: Job, ctx: Contexts, job: JobScope): boolean {
  const gh = ctx.github as Record<string, string>;
  if (action === 'aws-actions/configure-aws-credentials') return awsCredentials(host, w, job);
  if (action === 'actions/checkout') {
    const ref = w.ref ? (w.ref.startsWith('refs/') ? w.ref : `refs/heads/${w.ref}`) : gh.ref!;
    checkoutLikeActions(host.opts.remote, runner.workspace, { ref, fetchDepth: Number(w['fetch-depth'] ?? 1), uid: runner.uid, gid: runner.gid });
    host.log(`[${gh.job}] checked out ${ref} (depth ${w['fetch-depth'] ?? 1})`);
    return true;
  }
  // A name is a plain name (never `.` or `..`, which would be the store itself or the run's folder),
  // and every path stays inside the workspace by its real path: a symlink cannot lead out of it.
  const name = w.name || 'artifact';
  if (!/^[\w.-]+$/.test(name) || /^\.+$/.test(name)) throw new Error(`artifact name '${name}' is not a plain name`);
  const store = path.join(host.dir, 'artifacts', name);
  const workspace = fs.realpathSync(runner.workspace);
  const inside = (p: string) => p === workspace || p.startsWith(`${workspace}${path.sep}`);
  if (action === 'actions/upload-artifact') {
    for (const p of (w.path ?? '').split('\n').filter(Boolean)) {
      const real = fs.realpathSync(path.resolve(workspace, p));
      if (!inside(real)) throw new Error(`upload-artifact: ${p} is outside the workspace (its real path is ${real})`);
      fs.cpSync(real, path.join(store, path.relative(workspace, path.resolve(workspace, p))), { recursive: true, dereference: false, verbatimSymlinks: true });
    }
    return true;
  }
  if (!fs.existsSync(store)) throw new Error(`no artifact named ${name}`);
  const target = path.resolve(workspace, w.path ?? '');
  if (!inside(target) || (fs.existsSync(target) && !inside(fs.realpathSync(target)))) throw new Error(`download-artifact: path ${w.path} is outside the workspace`);
  fs.cpSync(store, target, { recursive: true, verbatimSymlinks: true });
  runner.chown(runner.workspace);
  return true;
}

/**
 * STAND-IN for aws-actions/configure-aws-credentials, not the action: with `role-to-assume`,
 * GitHub's OIDC exchange needs the job's `id-token: write`, and the credentials are the runner's
 * `awsCredentials` (the test bed's; no STS here); without a role, the keys given. Either way they
 * go into the job's environment, masked, with the region, as the action exports them.
 */
function awsCredentials(host: Host, w: Record<string, string>, job: JobScope): boolean {
  const fail = (why: string) => (host.log(`[${job.job}] configure-aws-credentials: ${why}`), false);
  let creds: RunOptions['awsCredentials'];
  if (w['role-to-assume']) {
    const perms = job.permissions as Record<string, string> | string | undefined;
    if (!(typeof perms === 'object' && perms['id-token'] === 'write') && perms !== 'write-all') return fail('Credentials could not be loaded: assuming a role with OIDC needs the job permission id-token: write');
    creds = host.opts.awsCredentials;
    if (!creds) return fail('Credentials could not be loaded: this runner has no stand-in credentials for an OIDC role (awsCredentials)');
  } else if (w['aws-access-key-id'] && w['aws-secret-access-key']) {
    creds = { accessKeyId: w['aws-access-key-id'], secretAccessKey: w['aws-secret-access-key'], sessionToken: w['aws-session-token'] || undefined };
  } else return fail('Credentials could not be loaded: give role-to-assume, or aws-access-key-id and aws-secret-access-key');
  if (!w['aws-region']) return fail('Input required and not supplied: aws-region');
  for (const v of [creds.accessKeyId, creds.secretAccessKey, creds.sessionToken ?? '']) if (v) host.mask(v);
  Object.assign(job.env, { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_REGION: w['aws-region'], AWS_DEFAULT_REGION: w['aws-region'] }, creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {});
  host.log(`[${job.job}] configure-aws-credentials (local stand-in): ${w['role-to-assume'] ? 'role assumed with OIDC' : 'access keys'} for ${w['aws-region']}`);
  return true;
}
