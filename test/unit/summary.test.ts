import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { code, lines, text, writeSummary } from '../../actions/shared/summary';

describe('job summaries', () => {
  it('show values as <code>, HTML-escaped, never as Markdown backticks GitHub leaves literal inside HTML', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drover-summary-')), 'summary.md');
    fs.writeFileSync(file, '');
    process.env.GITHUB_STEP_SUMMARY = file;
    try {
      await writeSummary('push-image <v1>', [
        ['Tags', lines([code('registry/app:1.0'), code('registry/app:<latest>')])],
        ['From a server', 'a <script>alert(1)</script> & "quotes"\r::warning::x'],
        ['Mixed', text(code('auth-blue'), ' / ', code('auth-green'))],
      ]);
      const out = fs.readFileSync(file, 'utf8');
      expect(out).toContain('<h3>push-image &#60;v1&#62;</h3>');
      expect(out).toContain('<td><code>registry/app:1.0</code><br><code>registry/app:&#60;latest&#62;</code></td>');
      expect(out).toContain('<td>a &#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;\\x0d::warning::x</td>');
      expect(out).toContain('<td><code>auth-blue</code> / <code>auth-green</code></td>');
      expect(out).not.toContain('`');
    } finally {
      delete process.env.GITHUB_STEP_SUMMARY;
    }
  });
});
