/**
 * The XGBoost beside our GBDT in the ML benches (bench/ml.bench.ts, bench/ml-real.bench.ts): the
 * Python that imports it (Debian's apt package python3-xgboost lives in /usr/bin/python3, the
 * default; WAYBILL_PYTHON overrides, and PYTHONPATH reaches a build outside the repo, e.g. a
 * source build of XGBoost >= 2.0 for the quantile objective), its version and where it comes from.
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.WAYBILL_PYTHON ?? '/usr/bin/python3';

const probe = spawnSync(
  PYTHON,
  [
    '-c',
    "import xgboost, numpy; print(xgboost.__version__); print('debian' if xgboost.__file__.startswith('/usr/lib/python3/dist-packages/') else 'other')",
  ],
  { encoding: 'utf8' },
);
const lines = probe.status === 0 ? probe.stdout.trim().split('\n') : [];

/** XGBoost's version, or undefined when PYTHON cannot import it (and numpy). */
export const xgbVersion: string | undefined = lines.length >= 2 ? lines.at(-2) : undefined;
/** Its major version (0 when absent). */
export const xgbMajor = xgbVersion === undefined ? 0 : Number(xgbVersion.split('.')[0]);
/** Where it comes from, for the tables. */
export const xgbOrigin =
  lines.at(-1) === 'debian' ? "Debian's python3-xgboost" : "not Debian's package: built or installed outside this repo";
