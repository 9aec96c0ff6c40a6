import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec as run, execOk as runOk, escapeLog, ExecError, maskSecret } from '../../actions/shared/exec';
import { dockerOk } from '../../actions/shared/docker';
import { failureLines } from '../../actions/shared/test-failures';

const quiet = { silent: true };

describe('process runner', () => {
  it('passes arguments without a shell', async () => {
    const res = await run('printf', ['%s|', 'a;b', '$(id)', '`x`'], { ...quiet, capture: true });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('a;b|$(id)|`x`|');
  });

  it('feeds stdin and keeps the tail of output', async () => {
    const res = await run('sh', ['-c', 'cat; seq 1 50 >&2; exit 3'], { ...quiet, stdin: 'secret-from-stdin\n', tailLines: 5, capture: true });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('secret-from-stdin');
    expect(res.tail).toEqual(['46', '47', '48', '49', '50']);
  });

  it('enforces a timeout', async () => {
    const res = await run('sleep', ['30'], { ...quiet, timeoutMs: 200 });
    expect(res.timedOut).toBe(true);
    expect(res.durationMs).toBeLessThan(10_000);
  });

  it('stops on an abort signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const res = await run('sleep', ['30'], { ...quiet, signal: controller.signal });
    expect(res.cancelled).toBe(true);
  });

  it('throws ExecError with the exit code and the last lines', async () => {
    const err = await runOk('sh', ['-c', 'echo first; echo last; exit 2'], { ...quiet, what: 'the build' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toBe('the build exited with code 2\nfirst\nlast');
  });

  it('shows every line to onLine, so a test run keeps its failure lines from anywhere in the output', async () => {
    const failures = failureLines();
    const res = await run('sh', ['-c', 'echo "not ok 1 - adds users"; seq 1 100; echo done'], { ...quiet, tailLines: 3, onLine: failures.onLine });
    expect(failures.lines).toEqual(['not ok 1 - adds users']);
    expect(res.tail).toEqual(['99', '100', 'done']);
  });

  it('escapes a bare carriage return and other control characters in what it logs', () => {
    expect(escapeLog('503 busy\r::set-output name=digest::x')).toBe('503 busy\\x0d::set-output name=digest::x');
    expect(escapeLog('\u001b[31mred\u001b[0m\ttab')).toBe('\u001b[31mred\u001b[0m\ttab');
  });

  it('reports a missing program', async () => {
    await expect(run('no-such-program-drover', [], quiet)).rejects.toThrow(/could not be started/);
  });
});

describe('logLines', () => {
  it('prints earlier output as data the runner does not act on', async () => {
    const { logLines: logGroup } = await import('../../actions/shared/exec');
    const { parseCommands } = await import('../../scripts/runner-files');
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (writes.push(chunk), true)) as typeof process.stdout.write;
    try {
      logGroup('Push x', ['layer pushed', '::add-mask::not-a-command']);
    } finally {
      process.stdout.write = write;
    }
    const out = writes.join('');
    expect(out).toContain('layer pushed');
    expect(parseCommands(out).map((c) => c.command)).toEqual(['group', 'endgroup']);
  });
});

describe("a child's environment", () => {
  it('a CLI on PATH sees no INPUT_* or STATE_* variable and no masked value, but what the caller passes on purpose', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-fake-cli-'));
    const dump = path.join(dir, 'env.txt');
    fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\nenv > '${dump}'\n`, { mode: 0o755 });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        PATH: `${dir}:${process.env.PATH}`,
        'INPUT_REGISTRY-PASSWORD': 'pw-from-input-1234',
        'INPUT_CERTIFICATE-KEY': '-----BEGIN PRIVATE KEY-----',
        STATE_run: '{"token":"state-value"}',
        SOME_TOKEN: 'masked-token-5678',
        KEEP_ME: 'plain',
      });
      maskSecret('masked-token-5678');
      await dockerOk(['stack', 'deploy'], { silent: true, env: { DOCKER_CONFIG: '/tmp/cfg' } });
      const seen = fs.readFileSync(dump, 'utf8');
      expect(seen).not.toMatch(/^(INPUT|STATE)_/m);
      expect(seen).not.toContain('pw-from-input-1234');
      expect(seen).not.toContain('masked-token-5678');
      expect(seen).toContain('KEEP_ME=plain');
      expect(seen).toContain('DOCKER_CONFIG=/tmp/cfg');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
