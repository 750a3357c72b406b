import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and child processes; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    // The AWS SDK warns once per process that Node 20 support ends in January 2027; CI runs the unit
    // tests on Node 22 as well, so in tests the warning is noise repeated by every child process.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
