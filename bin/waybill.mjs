#!/usr/bin/env node
// `waybill` command. In a source checkout (src/ present) it runs the TypeScript through tsx, so
// what runs is what you edited; an installed package (no src/) runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(dist)) {
  await import(dist.href);
} else {
  console.error('waybill: neither src/ nor dist/ found; run npm run build:ts');
  process.exit(1);
}
