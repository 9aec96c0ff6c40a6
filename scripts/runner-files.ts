/** What a step hands the runner: its key/value files (GITHUB_OUTPUT, GITHUB_ENV, ...) and the workflow commands it prints. */

export interface Command {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** The runner's key/value file format: `NAME=value` or `NAME<<DELIM` … `DELIM`. */
export function parseKeyValueFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    if (heredoc <= 0) throw new Error(`Invalid format '${line}'`);
    const name = line.slice(0, heredoc);
    const delim = line.slice(heredoc + 2);
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
    if (i >= lines.length) throw new Error('Matching delimiter not found');
    out[name] = value.join('\n');
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

/**
 * Output lines as the runner reads them: like the runner, a bare \r ends a line; each line with
 * the workflow command it carries, if it carries one. Between ::stop-commands::<token> and
 * ::<token>:: no line does, and the markers themselves are no command either.
 */
export function scanOutput(stdout: string): { line: string; command?: Command }[] {
  const out: { line: string; command?: Command }[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (stopToken) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      out.push({ line });
      continue;
    }
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) {
      out.push({ line });
      continue;
    }
    const properties: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      properties[kv.slice(0, eq)] = unescape(kv.slice(eq + 1));
    }
    const command = { command: m[1]!, properties, message: unescape(m[3]!) };
    if (command.command === 'stop-commands') stopToken = command.message;
    out.push(command.command === 'stop-commands' ? { line } : { line, command });
  }
  return out;
}

/** Workflow commands from stdout, honouring ::stop-commands:: as the runner does. */
export function parseCommands(stdout: string): Command[] {
  return scanOutput(stdout).flatMap((l) => (l.command ? [l.command] : []));
}
