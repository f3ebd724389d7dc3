// Vitest reporter: in CI (CI set), a skipped test whose reason is not a known one fails the run
// (the allowlist: tests/helpers/known-skip-reasons.json). Outside CI it stays quiet.
import type { Reporter, TestModule } from 'vitest/node';
import { isKnownSkipReason, loadKnownSkipReasons, skipReasonOf } from './known-skips';

export default class CiSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!process.env.CI) return;
    const known = loadKnownSkipReasons();
    const unknown: string[] = [];
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const reason = skipReasonOf(test.fullName, result.note);
        if (!isKnownSkipReason(reason, known)) unknown.push(`  ${test.module.moduleId} > ${test.fullName}: ${reason ?? 'no reason given'}`);
      }
    }
    if (unknown.length === 0) return;
    process.exitCode = 1;
    console.error(
      `\n${unknown.length} test(s) skipped in CI for a reason that is not a known one ` +
        `(${known.map((k) => k.name).join(', ')}; see tests/helpers/known-skip-reasons.json):\n${unknown.join('\n')}\n` +
        'Make the test run here, or give a known reason: ctx.skip(reason), or withSkipReason(title, reason) for describe.skipIf.\n',
    );
  }
}
