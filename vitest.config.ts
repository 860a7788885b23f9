import { defineConfig } from 'vitest/config';

// Test tiers (STYLE.md): unit needs nothing; integration needs root and nft/iptables in a
// throwaway namespace; e2e needs the Docker host harness (root, dockerd, kubectl, Prometheus).
export default defineConfig({
  test: {
    // Fails the run if this machine's own namespace (ruleset, links, addresses, routes) changed.
    globalSetup: ['test/harness/global-guard.ts'],
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
