#!/usr/bin/env node
/**
 * waybill CLI.
 *   waybill info [--json] [--workers N]         backends with status or reason, workers, versions
 *   waybill serve [--port P] [--host H] [--workers N] [--plugins a,b]   start the HTTP API
 *   waybill models [--url U] [--plugins a,b] [--json]
 *   waybill infer <model[@version]> <json> [--url U] [--plugins a,b]
 *   waybill solve <file.tsp|.vrp|.vrptw|solomon.txt|.json> [--time 30s] [--seed N] [--workers N]
 *                 [--iterations N] [--rounding nint|trunc1|exact] [--vehicles K] [--out F] [--json]
 *   waybill train <file.csv> --target col --out model.json [--objective l2] [--alpha 0.9] ...
 *   waybill predict <model.json> <file.csv> [--out preds.csv] [--id col] [--raw] [--iterations N]
 *                   [--contributions saabas|treeshap] [--json]
 *   waybill eval trajectory|eta|merchant|demand|pricing|plugins [--json]
 *   waybill bench [suite] [-- suite options]
 */
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { collectInfo, formatInfo } from './info.js';

const USAGE = `usage: waybill <command> [options]

commands:
  info    [--json] [--workers N]                backends, their status or the reason they are unavailable, versions
  serve   [--port P] [--host H] [--workers N] [--plugins a,b] [--api-key K]
                                                start the HTTP API (default 127.0.0.1:8080, or WAYBILL_PORT);
                                                plugins: plugins/ plus WAYBILL_PLUGINS, or the --plugins list
  models  [--url U] [--plugins a,b] [--json]    list models (of a running server with --url, else loaded here)
  infer   <model[@version]> <json> [--url U] [--plugins a,b]
                                                run inference; json: an instance, an array, or a request body
  solve   <file> [--time 30s] [--seed N] [--workers N] [--iterations N] [--out F] [--json]
          [--rounding nint|trunc1|exact] [--vehicles K]
                                                solve a TSP (TSPLIB .tsp) or a vehicle routing problem
                                                (CVRPLIB .vrp / .vrptw, Solomon text, JSON VrpProblem),
                                                found by the file's contents, with a progress bar on stderr;
                                                Ctrl-C stops with the best plan so far.
                                                --time: 30, 30s, 500ms or 2m (default 10 s; with --iterations
                                                alone, no time limit); --iterations: per worker;
                                                --rounding: CVRPLIB / Solomon distances (default nint for
                                                EUC_2D CVRP, exact for VRPTW; JSON states its own);
                                                --vehicles: fleet size (default the file's VEHICLES).
                                                Prints the gap to a .sol beside the file or its folder's
                                                BKS.csv under the same rounding. --out: .tour (TSP), or
                                                .sol (CVRPLIB), .json (full solution), .geojson (routes;
                                                planar x, y for CVRPLIB / Solomon files, not WGS84).
                                                Exit 2 when the plan is infeasible.
  forecast <train.csv> --horizon h [--model theta] [--season m] [--test test.csv] [--out f.csv]
          [--missing interpolate|drop|error] [--levels 80,95] [--ets ZZZ] [--ets-combine weights|select]
          [--workers 2] [--json]
                                                forecast every series of an M4-layout (or long id,date,value)
                                                CSV; models: auto (= ets: AutoETS), ets, comb, theta,
                                                thetaf, otm, ses, naive, snaive, naive2, drift, croston, sba,
                                                tsb, adida; --ets: an R-style ETS model code; --ets-combine:
                                                weights (default: the Akaike-weighted combination of the
                                                fitted models) or select (lowest AICc, as R's ets);
                                                --levels: prediction intervals (ets);
                                                with --test: sMAPE / MASE / OWA vs Naive2 (and MSIS)
  train   <file.csv> --target col --out model.json [--objective l2|l1|quantile|logistic|poisson|tweedie]
          [--alpha 0.9] [--categorical a,b] [--drop c,d] [--valid-fraction 0.2] [--rounds 100]
          [--leaves 31] [--lr 0.1] [--early-stop 20] [--seed 0] [--lambda 0] [--min-data 20]
          [--cat-smooth 10] [--min-data-per-group 100] [--max-cat-threshold 32] [--cat-l2 10]
          [--max-cat-to-onehot 4] [--json]
                                                train gradient-boosted trees on a CSV with a header (empty/NA
                                                = missing; text columns and --categorical ones become category
                                                codes, saved in the model); --drop: columns not used as
                                                features; a seeded --valid-fraction is held out for early
                                                stopping (--early-stop rounds, 0 = off); progress on stderr,
                                                Ctrl-C keeps the best model so far; prints validation metrics
                                                and writes the waybill-gbdt JSON model (--alpha: quantile level;
                                                --lambda: L2 on leaf values; --min-data: rows a leaf;
                                                --cat-smooth / --min-data-per-group / --max-cat-threshold /
                                                --cat-l2 / --max-cat-to-onehot: categorical splits)
          [--treatment col [--control value] [--uplift-method t-learner|s-learner|x-learner]]
                                                with --treatment: an uplift model of a randomised test (the
                                                column's --control value, default 0, is arm 0; the others
                                                arms 1..K); prints each treatment's Qini and effect on the
                                                held-out rows; waybill predict gives the effects per row
  predict <model.json> <file.csv> [--out preds.csv] [--id col] [--raw] [--iterations N]
          [--contributions saabas|treeshap] [--json]
                                                score a CSV with a GBDT model (waybill train's JSON maps the
                                                columns by name and text categories to their codes; other
                                                models need feature names); writes id?, prediction and, with
                                                --contributions, contrib_<feature> and contrib_bias columns
                                                to --out or stdout; --raw: the margin; --iterations: the first
                                                N trees; prints the objective's metrics when the CSV has the
                                                model's target column (--json: summary on stdout, needs --out)
  eval    trajectory [--json]                   stop-sequence prediction on the 13 Amazon LMRRC routes
                                                (leave-one-route-out; challenge route score, lower is better)
                                                and LaDe next-pickup prediction (split by courier), on the
                                                shared data (WAYBILL_DATA_DIR or ../shared/data)
  eval    eta|merchant|demand|pricing|plugins   a domain plugin's held-out evaluation on the shared data
          [--json]                              (plugins: all four), a headline line each
  bench   [suite] [-- suite options]            run a benchmark suite of a source checkout (bench/<suite>.bench.ts;
                                                without a suite: the list); e.g. waybill bench vrp -- --set x6
  version                                       the waybill version (also --version)
  help                                          this text`;

/** The flags each command reads; any other flag is refused (it used to be ignored without a word). */
const TRAIN_FLAGS = [
  'target',
  'out',
  'objective',
  'alpha',
  'categorical',
  'drop',
  'valid-fraction',
  'rounds',
  'leaves',
  'lr',
  'early-stop',
  'seed',
  'lambda',
  'min-data',
  'cat-smooth',
  'min-data-per-group',
  'max-cat-threshold',
  'cat-l2',
  'max-cat-to-onehot',
  'json',
  'treatment',
  'control',
  'uplift-method',
];
export const COMMAND_FLAGS: Record<string, { flags: readonly string[]; positionals: number }> = {
  info: { flags: ['json', 'workers'], positionals: 0 },
  serve: { flags: ['port', 'host', 'workers', 'plugins', 'api-key'], positionals: 0 },
  models: { flags: ['url', 'plugins', 'json'], positionals: 0 },
  infer: { flags: ['url', 'plugins'], positionals: 2 },
  solve: { flags: ['time', 'seed', 'workers', 'iterations', 'out', 'json', 'rounding', 'vehicles'], positionals: 1 },
  forecast: {
    flags: ['horizon', 'model', 'season', 'test', 'out', 'missing', 'levels', 'ets', 'ets-combine', 'workers', 'json'],
    positionals: 1,
  },
  train: { flags: TRAIN_FLAGS, positionals: 1 },
  predict: { flags: ['out', 'id', 'raw', 'iterations', 'contributions', 'json'], positionals: 2 },
  eval: { flags: ['json'], positionals: 1 },
  // bench: the suite, then its own options after `--` (they arrive as positionals).
  bench: { flags: [], positionals: Number.POSITIVE_INFINITY },
};

function usageError(message: string): never {
  console.error(`waybill: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  // Number('') is 0 and Number('1e20') an integer past 2^53: both are refused, not used.
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range =
      max < Number.MAX_SAFE_INTEGER ? `an integer in [${min}, ${max}]` : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    console.error(`waybill: --${name} must be ${range}, got '${v}'`);
    process.exit(2);
  }
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    console.log(`waybill ${VERSION}`);
    return;
  }
  const spec = COMMAND_FLAGS[command];
  if (!spec) usageError(`unknown command '${command}'`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        json: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        workers: { type: 'string' },
        plugins: { type: 'string' },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        time: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        iterations: { type: 'string' },
        rounding: { type: 'string' },
        vehicles: { type: 'string' },
        horizon: { type: 'string' },
        model: { type: 'string' },
        season: { type: 'string' },
        test: { type: 'string' },
        missing: { type: 'string' },
        levels: { type: 'string' },
        ets: { type: 'string' },
        'ets-combine': { type: 'string' },
        target: { type: 'string' },
        objective: { type: 'string' },
        alpha: { type: 'string' },
        categorical: { type: 'string' },
        drop: { type: 'string' },
        'valid-fraction': { type: 'string' },
        rounds: { type: 'string' },
        leaves: { type: 'string' },
        lr: { type: 'string' },
        'early-stop': { type: 'string' },
        lambda: { type: 'string' },
        'min-data': { type: 'string' },
        'cat-smooth': { type: 'string' },
        'min-data-per-group': { type: 'string' },
        'max-cat-threshold': { type: 'string' },
        'cat-l2': { type: 'string' },
        'max-cat-to-onehot': { type: 'string' },
        id: { type: 'string' },
        treatment: { type: 'string' },
        control: { type: 'string' },
        'uplift-method': { type: 'string' },
        raw: { type: 'boolean' },
        contributions: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  const foreign = Object.keys(parsed.values).filter((k) => !spec.flags.includes(k));
  if (foreign.length > 0)
    usageError(
      `${foreign.map((k) => `--${k}`).join(', ')} ${foreign.length === 1 ? 'is not an option' : 'are not options'} of ${command} (its options: ${spec.flags.map((k) => `--${k}`).join(' ')})`,
    );
  if (parsed.positionals.length > spec.positionals)
    usageError(
      `${command} takes ${spec.positionals === 0 ? 'no arguments' : `at most ${spec.positionals} argument${spec.positionals === 1 ? '' : 's'}`}, got ${parsed.positionals.map((p) => `'${p}'`).join(' ')}`,
    );
  const v = parsed.values as {
    json?: boolean;
    port?: string;
    host?: string;
    workers?: string;
    plugins?: string;
    url?: string;
    'api-key'?: string;
  };
  const plugins = v.plugins
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const target = { ...(v.url ? { url: v.url } : {}), ...(plugins ? { plugins } : {}) };
  // info / serve: pool threads (0 runs on the calling thread); solve / forecast: solver threads,
  // at least 1 (0 used to be replaced by 1 or 2 without a word).
  const workers = intArg('workers', v.workers, command === 'info' || command === 'serve' ? 0 : 1, 256);
  switch (command) {
    case 'info': {
      const report = await collectInfo(workers === undefined ? {} : { workers });
      console.log(v.json ? JSON.stringify(report, null, 2) : formatInfo(report));
      return;
    }
    case 'serve': {
      const { serve } = await import('./serve.js');
      const port = intArg('port', v.port, 0, 65535);
      await serve({
        ...(port === undefined ? {} : { port }),
        ...(v.host === undefined ? {} : { host: v.host }),
        ...(workers === undefined ? {} : { workers }),
        ...(plugins ? { plugins } : {}),
        ...(v['api-key'] ? { apiKey: v['api-key'] } : {}),
      });
      return;
    }
    case 'models': {
      const { formatModels, listModels } = await import('./models.js');
      const models = await listModels(target);
      console.log(v.json ? JSON.stringify(models, null, 2) : formatModels(models));
      return;
    }
    case 'infer': {
      const [model, json] = parsed.positionals;
      if (!model || json === undefined) {
        console.error(`waybill: infer needs a model and a JSON input\n\n${USAGE}`);
        process.exit(2);
      }
      const { inferCli } = await import('./models.js');
      console.log(JSON.stringify(await inferCli(model, json, target), null, 2));
      return;
    }
    case 'solve': {
      const [file] = parsed.positionals;
      if (!file) {
        console.error(`waybill: solve needs a file\n\n${USAGE}`);
        process.exit(2);
      }
      const extra = parsed.values as {
        time?: string;
        seed?: string;
        out?: string;
        iterations?: string;
        rounding?: string;
        vehicles?: string;
      };
      let timeLimitMs: number | undefined;
      if (extra.time !== undefined) {
        const m = /^([0-9]*\.?[0-9]+)\s*(ms|s|m)?$/.exec(extra.time.trim());
        timeLimitMs = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : Number.NaN;
        if (!(timeLimitMs > 0)) {
          console.error(`waybill: --time must be a positive duration (e.g. 30, 30s, 500ms, 2m), got '${extra.time}'`);
          process.exit(2);
        }
      }
      if (extra.rounding !== undefined && !['nint', 'trunc1', 'exact'].includes(extra.rounding)) {
        console.error(`waybill: --rounding must be nint, trunc1 or exact, got '${extra.rounding}'`);
        process.exit(2);
      }
      const iterations = intArg('iterations', extra.iterations);
      const vehicles = intArg('vehicles', extra.vehicles);
      if (vehicles === 0) {
        console.error(`waybill: --vehicles must be at least 1`);
        process.exit(2);
      }
      const { solveFile } = await import('./solve.js');
      await solveFile({
        file,
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        seed: intArg('seed', extra.seed) ?? 1,
        ...(workers !== undefined ? { workers } : {}),
        ...(iterations ? { maxIterations: iterations } : {}),
        ...(vehicles ? { vehicles } : {}),
        ...(extra.rounding ? { rounding: extra.rounding as 'nint' | 'trunc1' | 'exact' } : {}),
        ...(extra.out ? { out: extra.out } : {}),
        ...(v.json ? { json: true } : {}),
      });
      return;
    }
    case 'forecast': {
      const [file] = parsed.positionals;
      const fv = parsed.values as {
        horizon?: string;
        model?: string;
        season?: string;
        test?: string;
        out?: string;
        missing?: string;
        levels?: string;
        ets?: string;
        'ets-combine'?: string;
      };
      const horizon = intArg('horizon', fv.horizon);
      if (!file || !horizon) {
        console.error(`waybill: forecast needs a file and --horizon h (>= 1)\n\n${USAGE}`);
        process.exit(2);
      }
      if (fv.missing !== undefined && !['interpolate', 'drop', 'error'].includes(fv.missing)) {
        console.error(`waybill: --missing must be interpolate, drop or error, got '${fv.missing}'`);
        process.exit(2);
      }
      const levels = fv.levels?.split(',').map(Number);
      if (levels?.some((l) => !(l > 0 && l < 100))) {
        console.error(`waybill: --levels must be comma-separated numbers in (0, 100), got '${fv.levels}'`);
        process.exit(2);
      }
      const combine = fv['ets-combine'];
      if (combine !== undefined && combine !== 'weights' && combine !== 'select') {
        console.error(`waybill: --ets-combine must be weights or select, got '${combine}'`);
        process.exit(2);
      }
      const { forecastFile } = await import('./forecast.js');
      await forecastFile({
        ...(levels ? { levels } : {}),
        ...(fv.ets ? { etsModel: fv.ets } : {}),
        ...(combine ? { etsCombine: combine } : {}),
        ...(workers !== undefined ? { workers } : {}),
        file,
        horizon,
        model: fv.model ?? 'theta',
        season: intArg('season', fv.season) ?? 1,
        ...(fv.test ? { test: fv.test } : {}),
        ...(fv.out ? { out: fv.out } : {}),
        ...(fv.missing ? { missing: fv.missing as 'interpolate' | 'drop' | 'error' } : {}),
        ...(v.json ? { json: true } : {}),
      });
      return;
    }
    case 'train': {
      const { parseTrainArgs, trainFile } = await import('./train.js');
      const values = parsed.values as Record<string, string | boolean | undefined>;
      const args = parseTrainArgs(parsed.positionals[0], values);
      if (typeof args === 'string') {
        console.error(`waybill: ${args}\n\n${USAGE}`);
        process.exit(2);
      }
      const treatment = values.treatment;
      if (typeof treatment !== 'string') {
        for (const flag of ['control', 'uplift-method']) if (values[flag] !== undefined) usageError(`--${flag} needs --treatment <column>`);
        await trainFile(args);
        return;
      }
      // Uplift: the outcome decides the base models' objective (0 / 1: logistic, else L2).
      for (const flag of ['objective', 'alpha', 'early-stop'])
        if (values[flag] !== undefined)
          usageError(`--${flag} does not apply with --treatment (uplift models take the outcome's objective)`);
      const method = (values['uplift-method'] ?? 't-learner') as string;
      const { UPLIFT_METHODS } = await import('../kernels/ml/uplift.js');
      if (!(UPLIFT_METHODS as readonly string[]).includes(method))
        usageError(`--uplift-method must be one of ${UPLIFT_METHODS.join(', ')}, got '${method}'`);
      const { trainUpliftFile } = await import('./train-uplift.js');
      await trainUpliftFile({
        ...args,
        treatment,
        ...(typeof values.control === 'string' ? { control: values.control } : {}),
        method: method as 't-learner' | 's-learner' | 'x-learner',
      });
      return;
    }
    case 'predict': {
      const [modelFile, file] = parsed.positionals;
      if (!modelFile || !file) {
        console.error(`waybill: predict needs a model file and a CSV file\n\n${USAGE}`);
        process.exit(2);
      }
      const pv = parsed.values as { out?: string; id?: string; raw?: boolean; iterations?: string; contributions?: string };
      if (pv.contributions !== undefined && pv.contributions !== 'saabas' && pv.contributions !== 'treeshap') {
        console.error(`waybill: --contributions must be saabas or treeshap, got '${pv.contributions}'`);
        process.exit(2);
      }
      const iterations = intArg('iterations', pv.iterations, 1);
      const { predictFile } = await import('./predict.js');
      await predictFile({
        model: modelFile,
        file,
        ...(pv.out !== undefined ? { out: pv.out } : {}),
        ...(pv.id !== undefined ? { id: pv.id } : {}),
        ...(pv.raw ? { raw: true } : {}),
        ...(iterations !== undefined ? { iterations } : {}),
        ...(pv.contributions ? { contributions: pv.contributions as 'saabas' | 'treeshap' } : {}),
        ...(v.json ? { json: true } : {}),
      });
      return;
    }
    case 'eval': {
      const [what] = parsed.positionals;
      if (!what) {
        console.error(`waybill: eval needs what to evaluate (trajectory, eta, merchant, demand, pricing or plugins)\n\n${USAGE}`);
        process.exit(2);
      }
      const { evalCli } = await import('./eval.js');
      await evalCli({ what, ...(v.json ? { json: true } : {}) });
      return;
    }
    case 'bench': {
      const [suite, ...suiteArgs] = parsed.positionals;
      const { benchCli } = await import('./bench.js');
      process.exitCode = await benchCli(suite, suiteArgs);
      return;
    }
    default:
      usageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`waybill: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
  process.exit(1);
});
