import { describe, expect, it } from 'vitest';
import { run, runOk, ExecError } from '../../actions/shared/exec';

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

  it('keeps failure lines from anywhere in the output', async () => {
    const res = await run('sh', ['-c', 'echo "not ok 1 - adds users"; seq 1 100; echo done'], { ...quiet, tailLines: 3 });
    expect(res.failures).toEqual(['not ok 1 - adds users']);
    expect(res.tail).toEqual(['99', '100', 'done']);
  });

  it('reports a missing program', async () => {
    await expect(run('no-such-program-drover', [], quiet)).rejects.toThrow(/could not be started/);
  });
});

describe('logGroup', () => {
  it('prints earlier output as data the runner does not act on', async () => {
    const { logGroup } = await import('../../actions/shared/exec');
    const { parseCommands } = await import('../support/runner');
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
