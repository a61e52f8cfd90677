import { defineConfig } from "vitest/config";

// Tests import workspace packages from source (the "@incusx/source" export
// condition), so no build is needed between an edit and a test run.
// The rest are Vite's default server conditions.
const conditions = ["@incusx/source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "plugins/*/src/**/*.test.ts",
      "plugins/*/test/**/*.test.ts",
      "docs/examples/*/src/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
