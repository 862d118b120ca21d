/**
 * A minimal stand-in for the parts of vitest's API that the device tests use (describe, it /
 * it.skipIf, beforeAll / afterAll, expect with the matchers below), so that those test files can
 * be bundled with esbuild and run by a bare `node` on a GPU machine that has no node_modules
 * (scripts/device-kit/build.mjs). Tests run in file order, one at a time; the process exit code is
 * the number of failed tests (capped at 100). Not a general vitest replacement: an unknown matcher
 * is a TypeError, which fails the test that used it.
 */
import { inspect, isDeepStrictEqual } from 'node:util';

type Fn = () => unknown | Promise<unknown>;
interface Test {
  name: string;
  fn: Fn;
  skip: boolean;
}
interface Suite {
  name: string;
  tests: Test[];
  before: Fn[];
  after: Fn[];
}

const root: Suite = { name: '', tests: [], before: [], after: [] };
const suites: Suite[] = [root];
let current = root;

let skipDepth = 0; // inside a skipped describe: its tests are skipped too

function describeIn(name: string, body: () => void, skip: boolean): void {
  const parent = current;
  const s: Suite = { name: parent.name ? `${parent.name} > ${name}` : name, tests: [], before: [], after: [] };
  suites.push(s);
  current = s;
  if (skip) skipDepth++;
  try {
    body();
  } finally {
    if (skip) skipDepth--;
    current = parent;
  }
}

type Describe = ((name: string, body: () => void) => void) & {
  skipIf: (cond: unknown) => (name: string, body: () => void) => void;
  skip: (name: string, body: () => void) => void;
};
export const describe: Describe = Object.assign((name: string, body: () => void) => describeIn(name, body, false), {
  skipIf: (cond: unknown) => (name: string, body: () => void) => describeIn(name, body, Boolean(cond)),
  skip: (name: string, body: () => void) => describeIn(name, body, true),
});

function addTest(name: string, fn: Fn, skip: boolean): void {
  current.tests.push({ name, fn, skip: skip || skipDepth > 0 });
}

type It = ((name: string, fn: Fn, timeout?: number) => void) & {
  skipIf: (cond: unknown) => (name: string, fn: Fn, timeout?: number) => void;
  skip: (name: string, fn: Fn) => void;
};
export const it: It = Object.assign((name: string, fn: Fn) => addTest(name, fn, false), {
  skipIf: (cond: unknown) => (name: string, fn: Fn) => addTest(name, fn, Boolean(cond)),
  skip: (name: string, fn: Fn) => addTest(name, fn, true),
});
export const test = it;
export function beforeAll(fn: Fn): void {
  current.before.push(fn);
}
export function afterAll(fn: Fn): void {
  current.after.push(fn);
}

function fail(msg: string): never {
  throw new Error(msg);
}
const show = (v: unknown) => inspect(v, { depth: 4, maxArrayLength: 8, breakLength: 120 });

/** expect.stringMatching / expect.objectContaining: a value that matches by a predicate. */
class Asymmetric {
  constructor(
    readonly label: string,
    readonly test: (actual: unknown) => boolean,
  ) {}
  [inspect.custom]() {
    return this.label;
  }
}

/** Whether `actual` holds every property of `expected` (recursively; arrays element by element). */
function matchesObject(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Asymmetric) return expected.test(actual);
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual);
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected) || actual === expected;
  if (actual === null || typeof actual !== 'object') return false;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesObject(actual[i], e));
  }
  return Object.entries(expected as Record<string, unknown>).every(([k, v]) => matchesObject((actual as Record<string, unknown>)[k], v));
}

function thrownMatches(err: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof expected === 'string') return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'function') return err instanceof (expected as new () => unknown);
  return matchesObject(err, expected);
}

function matchers(actual: unknown, negate: boolean) {
  const check = (ok: boolean, msg: string) => {
    if (ok === negate) fail(`${negate ? 'not ' : ''}${msg}`);
  };
  return {
    toBe: (e: unknown) => check(Object.is(actual, e), `expected ${show(actual)} to be ${show(e)}`),
    toEqual: (e: unknown) => check(isDeepStrictEqual(actual, e), `expected ${show(actual)} to equal ${show(e)}`),
    toStrictEqual: (e: unknown) => check(isDeepStrictEqual(actual, e), `expected ${show(actual)} to equal ${show(e)}`),
    toMatchObject: (e: unknown) => check(matchesObject(actual, e), `expected ${show(actual)} to match ${show(e)}`),
    toBeGreaterThan: (e: number) => check((actual as number) > e, `expected ${show(actual)} > ${e}`),
    toBeGreaterThanOrEqual: (e: number) => check((actual as number) >= e, `expected ${show(actual)} >= ${e}`),
    toBeLessThan: (e: number) => check((actual as number) < e, `expected ${show(actual)} < ${e}`),
    toBeLessThanOrEqual: (e: number) => check((actual as number) <= e, `expected ${show(actual)} <= ${e}`),
    toBeCloseTo: (e: number, digits = 2) =>
      check(Math.abs((actual as number) - e) < 10 ** -digits / 2, `expected ${show(actual)} to be close to ${e}`),
    toMatch: (e: RegExp | string) =>
      check(
        typeof actual === 'string' && (typeof e === 'string' ? actual.includes(e) : e.test(actual)),
        `expected ${show(actual)} to match ${e}`,
      ),
    toContain: (e: unknown) =>
      check(
        (typeof actual === 'string' && typeof e === 'string' && actual.includes(e)) || (Array.isArray(actual) && actual.includes(e)),
        `expected ${show(actual)} to contain ${show(e)}`,
      ),
    toBeDefined: () => check(actual !== undefined, `expected ${show(actual)} to be defined`),
    toBeUndefined: () => check(actual === undefined, `expected ${show(actual)} to be undefined`),
    toBeNull: () => check(actual === null, `expected ${show(actual)} to be null`),
    toBeTruthy: () => check(Boolean(actual), `expected ${show(actual)} to be truthy`),
    toBeFalsy: () => check(!actual, `expected ${show(actual)} to be falsy`),
    toBeInstanceOf: (c: new (...a: never[]) => unknown) => check(actual instanceof c, `expected ${show(actual)} to be a ${c.name}`),
    toHaveLength: (n: number) => check((actual as { length: number }).length === n, `expected length ${n}, got ${show(actual)}`),
    toThrow: (e?: unknown) => {
      let threw = false;
      let err: unknown;
      try {
        (actual as () => unknown)();
      } catch (x) {
        threw = true;
        err = x;
      }
      check(threw && thrownMatches(err, e), `expected a throw matching ${show(e)}, got ${threw ? show(err) : 'none'}`);
    },
  };
}

expect.stringMatching = (e: RegExp | string) =>
  new Asymmetric(`stringMatching(${String(e)})`, (a) => typeof a === 'string' && (typeof e === 'string' ? a.includes(e) : e.test(a)));
expect.objectContaining = (e: Record<string, unknown>) => new Asymmetric(`objectContaining(${inspect(e)})`, (a) => matchesObject(a, e));
expect.any = (c: new (...a: never[]) => unknown) =>
  new Asymmetric(
    `any(${c.name})`,
    (a) => a instanceof c || (c === (Number as unknown) && typeof a === 'number') || (c === (String as unknown) && typeof a === 'string'),
  );

/** Awaits `actual`, which must reject with an error that `matches` accepts. */
async function rejectsWith(actual: unknown, matches: (err: unknown) => boolean, expected: unknown): Promise<void> {
  try {
    await actual;
  } catch (err) {
    if (!matches(err)) fail(`rejected with ${show(err)}, expected ${show(expected)}`);
    return;
  }
  fail('expected a rejection');
}

export function expect(actual: unknown) {
  const m = matchers(actual, false);
  return Object.assign(m, {
    not: matchers(actual, true),
    rejects: {
      toThrow: (e?: unknown) => rejectsWith(actual, (err) => thrownMatches(err, e), e),
      toMatchObject: (e: unknown) => rejectsWith(actual, (err) => matchesObject(err, e), e),
    },
    resolves: {
      toBe: async (e: unknown) => matchers(await actual, false).toBe(e),
      toEqual: async (e: unknown) => matchers(await actual, false).toEqual(e),
      toMatchObject: async (e: unknown) => matchers(await actual, false).toMatchObject(e),
    },
  });
}

/** Runs every collected test; prints one line each and a summary; sets the exit code. */
export async function runCollected(label: string): Promise<{ passed: number; failed: number; skipped: number }> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // A suite's beforeAll hooks run before its first test; every afterAll hook runs once all tests
  // of the file are done (last registered first), so a root-level afterAll (closing an engine the
  // describe blocks share) comes after the nested suites, as in vitest.
  const afterHooks: Fn[] = [];
  for (const s of suites) {
    afterHooks.unshift(...s.after.slice().reverse());
    if (s.tests.length === 0 && s.before.length === 0) continue;
    let setupError: unknown;
    for (const f of s.before) {
      try {
        await f();
      } catch (err) {
        setupError = err;
      }
    }
    for (const t of s.tests) {
      const name = s.name ? `${s.name} > ${t.name}` : t.name;
      if (t.skip) {
        skipped++;
        console.log(`  skip  ${name}`);
        continue;
      }
      const t0 = performance.now();
      try {
        if (setupError) throw setupError;
        await t.fn();
        passed++;
        console.log(`  ok    ${name} (${(performance.now() - t0).toFixed(0)} ms)`);
      } catch (err) {
        failed++;
        console.log(`  FAIL  ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  for (const f of afterHooks) {
    try {
      await f();
    } catch (err) {
      failed++;
      console.log(`  FAIL  afterAll: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  console.log(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { passed, failed, skipped };
}
