// Vitest settings for the whole suite. Several tests spawn the CLI (tsx transpiles on start) or
// fit real data sets, so the default 5 s per test is too tight on a loaded 2-core machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
