import { describe, expect, it } from 'vitest';
import { parseCommands, parseKeyValueFile } from '../../scripts/runner-files';

describe('runner harness parsing', () => {
  it('reads heredoc and plain records as the runner does', () => {
    const text = 'a=1\nb<<ghadelimiter_x\nline1\nline2\nghadelimiter_x\n\n';
    expect(parseKeyValueFile(text)).toEqual({ a: '1', b: 'line1\nline2' });
    expect(() => parseKeyValueFile('b<<D\nno end\n')).toThrow(/delimiter/);
  });

  it('reads workflow commands and skips those inside stop-commands', () => {
    const out = ['::add-mask::s3cret', '::stop-commands::tok', '::error::not a command', '::tok::', '::error title=T::a%0Ab'].join('\n');
    expect(parseCommands(out)).toEqual([
      { command: 'add-mask', properties: {}, message: 's3cret' },
      { command: 'error', properties: { title: 'T' }, message: 'a\nb' },
    ]);
  });
});
