// Ends the run with one plain line, "N passed, N failed, N skipped", that any
// CI can read without parsing vitest's coloured summary.
import type { Reporter, TestModule } from 'vitest/node'

export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') count.passed++
        else if (state === 'failed') count.failed++
        else count.skipped++
      }
      if (module.state() === 'failed' && module.children.size === 0) count.failed++ // a file that failed to load
      // A suite whose hook failed: its tests are reported skipped, so count the suite itself.
      for (const suite of module.children.allSuites()) {
        if (suite.state() === 'failed' && ![...suite.children.allTests()].some((t) => t.result().state === 'failed')) count.failed++
      }
    }
    process.stdout.write(`\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`)
  }
}
