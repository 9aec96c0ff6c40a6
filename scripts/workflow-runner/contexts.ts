/** The contexts a job sees that come from the run, not from its steps: github, inputs, secrets, and its environment's settings. */
import type { EnvironmentSettings, InputSpec, RunOptions } from './types.ts';

/** The `inputs` context: dispatch or call inputs with their defaults and types. */
export function inputsContext(opts: RunOptions, on: Record<string, unknown> | undefined): Record<string, unknown> {
  if (opts.event === 'push') return {};
  const specs = ((on?.[opts.event] as { inputs?: Record<string, InputSpec> } | undefined)?.inputs ?? {}) as Record<string, InputSpec>;
  const given = opts.inputs ?? {};
  for (const k of Object.keys(given)) if (!(k in specs)) throw new Error(`Input '${k}': the workflow declares no such input (${Object.keys(specs).join(', ') || 'none'})`);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    let v: unknown = given[name] ?? spec.default;
    if (v === undefined) {
      if (spec.required) throw new Error(`Input '${name}' is required`);
      v = spec.type === 'boolean' ? false : '';
    }
    if (spec.type === 'boolean') {
      if (typeof v === 'string' && !/^(true|false)$/.test(v)) throw new Error(`Input '${name}' must be true or false, not ${v}`);
      v = v === true || v === 'true';
    } else if (spec.type === 'number') {
      if (!Number.isFinite(Number(v))) throw new Error(`Input '${name}' must be a number, not ${String(v)}`);
      v = Number(v);
    } else if (spec.type === 'choice' && !(spec.options ?? []).includes(String(v))) {
      throw new Error(`Input '${name}' must be one of ${(spec.options ?? []).join(', ')}, not ${String(v)}`);
    } else v = String(v);
    out[name] = v;
  }
  return out;
}

/** The `secrets` context: the repository's (a called workflow: only those it declares, the required ones checked), the environment's over them. */
export function secretsContext(opts: RunOptions, on: Record<string, unknown> | undefined, environment?: string): Record<string, string> {
  let secrets = { ...(opts.secrets ?? {}) };
  if (opts.event === 'workflow_call') {
    const declared = ((on?.workflow_call as { secrets?: Record<string, { required?: boolean }> } | undefined)?.secrets ?? {}) as Record<string, { required?: boolean }>;
    for (const [k, s] of Object.entries(declared)) if (s?.required && !secrets[k]) throw new Error(`Secret ${k} is required by the called workflow`);
    secrets = Object.fromEntries(Object.entries(secrets).filter(([k]) => k in declared));
  }
  return { ...secrets, ...(environment ? (environmentSettings(opts, environment)?.secrets ?? {}) : {}), GITHUB_TOKEN: '' };
}

/** An environment's settings; GitHub matches environment names case-insensitively (`Production` is `production`). */
export function environmentSettings(opts: RunOptions, name: string): EnvironmentSettings | undefined {
  return Object.entries(opts.environments ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The `github` context of a job (the run's commit and id given). */
export function githubContext(opts: RunOptions, run: { sha: string; runId: string }, inputs: Record<string, unknown>, jobId: string, workspace: string): Record<string, unknown> {
  const ref = opts.ref;
  const [, kind, name] = /^refs\/(heads|tags)\/(.+)$/.exec(ref) ?? [];
  const repository = opts.repository ?? 'acme/auth-service';
  const event =
    opts.event === 'workflow_dispatch'
      ? { inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)])), ref }
      : { ref, after: run.sha, repository: { full_name: repository, default_branch: opts.defaultBranch ?? 'develop' } };
  return {
    event_name: opts.event === 'workflow_call' ? 'push' : opts.event,
    event,
    ref,
    ref_name: name,
    ref_type: kind === 'tags' ? 'tag' : 'branch',
    sha: run.sha,
    repository,
    repository_owner: repository.split('/')[0],
    run_id: run.runId,
    run_number: String(opts.runNumber ?? 1),
    run_attempt: '1',
    job: jobId,
    workspace,
    actor: 'drover',
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    token: '',
  };
}
