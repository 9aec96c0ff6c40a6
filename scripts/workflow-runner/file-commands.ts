/** What steps hand on through the runner's files, taken as GitHub's runner takes it. */

/**
 * What a step wrote to GITHUB_ENV, as the runner takes it: NODE_OPTIONS is refused with the
 * runner's error (actions/runner #2775: it would load code into every later JavaScript action),
 * and GITHUB_* and RUNNER_* cannot overwrite the runner's own variables (workflow syntax docs,
 * "Setting an environment variable"), the file-command paths among them.
 */
export function fromEnvFile(log: (line: string) => void, job: string, written: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(written)) {
    if (k.toUpperCase() === 'NODE_OPTIONS') log(`[${job}] ::error::Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.`);
    else if (/^(GITHUB|RUNNER)_/i.test(k)) log(`[${job}] ${k} from GITHUB_ENV ignored: the runner's own variables cannot be overwritten`);
    else kept[k] = v;
  }
  return kept;
}

/** Job outputs, less any that holds a secret or a masked value: GitHub does not pass those on, and says so. */
export function withoutSecrets(log: (line: string) => void, job: string, outputs: Record<string, string>, masks: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(outputs).filter(([k, v]) => {
      const secret = [...masks].some((m) => v.includes(m));
      if (secret) log(`[${job}] ::warning::Skip output '${k}' since it may contain secret.`);
      return !secret;
    }),
  );
}
