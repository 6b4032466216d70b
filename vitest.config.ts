import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Network-namespace tests share the machine's CPU and the kernel; run files one at a time.
    fileParallelism: false,
    reporters: ['default', './test/plainSummaryReporter.ts']
  }
})
