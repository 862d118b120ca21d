/**
 * `waybill forecast <train.csv> --horizon h --model auto|ets|theta|... --season m [--test test.csv]
 * [--out f.csv] [--levels 80,95] [--workers 2]`: reads the M4 CSV layout (or a long `id,date,value`
 * CSV), forecasts every series in chunks with a progress line on stderr (on the C++ core when the
 * addon is built; ETS over `--workers` threads), writes the forecasts in the M4 layout, and with
 * `--test` prints sMAPE / MASE / OWA against Naive2 on the same series (and MSIS per level).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseM4Csv, type SeriesBatch } from '../data/m4.js';
import { utcMillis } from '../data/trajectory-loaders.js';
import { WaybillError } from '../errors.js';
import { baselineForecast } from '../kernels/timeseries/baselines.js';
import { FORECAST_MODELS, type ForecastModel, forecastBatch } from '../kernels/timeseries/forecast.js';
import { parallelEtsFitter } from '../kernels/timeseries/index.js';
import { msis, owa, scoreForecasts } from '../kernels/timeseries/metrics.js';
import { loadAddon } from '../native/addon.js';
import { checkWritable } from './out-path.js';

export interface ForecastArgs {
  file: string;
  horizon: number;
  model: string;
  season: number;
  test?: string;
  out?: string;
  missing?: 'interpolate' | 'drop' | 'error';
  json?: boolean;
  /** Native threads for ETS (default 2). */
  workers?: number;
  /** Prediction-interval levels in % (model ets). */
  levels?: number[];
  /** ETS model code (default ZZZ). */
  etsModel?: string;
  /** ETS: Akaike-weighted combination (default) or selection. */
  etsCombine?: 'weights' | 'select';
}

const ISO_DATE = /^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?Z?)?$/;

/**
 * The sort key of a long-CSV date cell: an integer period ('1', '10': sorted as numbers, not as
 * text, where '10' came before '9') or an ISO date YYYY-MM-DD, YYYY-MM or YYYY-MM-DD HH:MM[:SS]
 * (one-digit months and days allowed: '2024-1-10' once sorted before '2024-1-9'). Out-of-range
 * fields (Feb 30, month 13) are refused rather than rolled over. The kind ('period' or 'date')
 * must be the same within a series.
 */
export function longCsvDateKey(cell: string): { key: number; kind: 'period' | 'date' } | undefined {
  if (/^[-+]?\d{1,15}$/.test(cell)) return { key: Number(cell), kind: 'period' };
  const m = ISO_DATE.exec(cell);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3] ?? '1', m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  const ms = utcMillis(y as number, mo as number, d as number, h, mi, sec);
  return Number.isNaN(ms) ? undefined : { key: ms, kind: 'date' };
}

/**
 * A long CSV: a header with id, date and value columns; rows grouped by id and sorted by date
 * (see longCsvDateKey). A date that is neither kind, a series mixing kinds, or a date given twice
 * in a series is refused with its line.
 */
export function parseLongCsv(text: string): SeriesBatch {
  // Blank lines are skipped; `no` keeps each row's line number in the file for errors.
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, no: i + 1 }))
    .filter((l) => l.line.trim() !== '');
  const head = (lines[0]?.line ?? '').split(',').map((h) => h.replace(/"/g, '').trim().toLowerCase());
  const [ci, cd, cv] = ['id', 'date', 'value'].map((k) => head.indexOf(k));
  if ((ci as number) < 0 || (cd as number) < 0 || (cv as number) < 0)
    throw new WaybillError('INVALID_ARGUMENT', 'a long CSV needs id, date and value columns in its header');
  const by = new Map<string, Array<{ key: number; kind: 'period' | 'date'; no: number; v: number }>>();
  for (const { line, no } of lines.slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, '').trim());
    if (cells.length !== head.length)
      throw new WaybillError('INVALID_LENGTH', `line ${no}: ${cells.length} cells, the header has ${head.length}`, { line: no });
    const id = cells[ci as number] ?? '';
    if (id === '') throw new WaybillError('INVALID_ARGUMENT', `line ${no}: the series id is empty`, { line: no });
    const raw = cells[cv as number] ?? '';
    const v = raw === '' || raw === 'NA' ? Number.NaN : Number(raw);
    if (raw !== '' && raw !== 'NA' && !Number.isFinite(v))
      throw new WaybillError('NOT_FINITE', `line ${no}: value "${raw}" is not a number`, { line: no });
    const date = cells[cd as number] ?? '';
    const when = longCsvDateKey(date);
    if (!when)
      throw new WaybillError(
        'INVALID_ARGUMENT',
        `line ${no}: date "${date}" is neither an integer period nor an ISO date (YYYY-MM-DD, YYYY-MM or YYYY-MM-DD HH:MM[:SS])`,
        { line: no, field: 'date' },
      );
    let rows = by.get(id);
    if (!rows) {
      rows = [];
      by.set(id, rows);
    }
    if (rows.length > 0 && (rows[0] as { kind: string }).kind !== when.kind)
      throw new WaybillError('INVALID_ARGUMENT', `line ${no}: series ${id} mixes integer periods and dates`, { line: no, field: 'date' });
    rows.push({ ...when, no, v });
  }
  const ids = [...by.keys()];
  const offsets = new Int32Array(ids.length + 1);
  const chunks: number[] = [];
  ids.forEach((id, i) => {
    const rows = (by.get(id) as Array<{ key: number; no: number; v: number }>).sort((a, b) => a.key - b.key || a.no - b.no);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as { key: number; no: number; v: number };
      const prev = rows[r - 1];
      if (prev && prev.key === row.key)
        throw new WaybillError('INVALID_ARGUMENT', `line ${row.no}: series ${id} has this date already (line ${prev.no})`, {
          line: row.no,
          field: 'date',
        });
      chunks.push(row.v);
    }
    offsets[i + 1] = chunks.length;
  });
  return { ids, values: Float64Array.from(chunks), offsets };
}

function readSeries(file: string): SeriesBatch {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
  const first = text.slice(0, text.indexOf('\n')).toLowerCase();
  let batch: SeriesBatch;
  try {
    batch = /\bid\b/.test(first.replace(/"/g, '')) && first.includes('value') ? parseLongCsv(text) : parseM4Csv(text);
  } catch (err) {
    // The parsers name the line; say which file (the training file or --test).
    if (err instanceof WaybillError) throw new WaybillError(err.code, `${file}: ${err.message}`, { ...err.details, file });
    throw err;
  }
  if (batch.ids.length === 0) throw new WaybillError('INVALID_ARGUMENT', `${file} holds no series`, { file });
  return batch;
}

export async function forecastFile(args: ForecastArgs): Promise<Record<string, unknown>> {
  const model = (args.model === 'auto' ? 'ets' : args.model) as ForecastModel;
  if (!FORECAST_MODELS.includes(model))
    throw new WaybillError('INVALID_ARGUMENT', `unknown model ${args.model}: use auto or one of ${FORECAST_MODELS.join(', ')}`);
  const batch = readSeries(args.file);
  if (args.out) checkWritable(args.out);
  const n = batch.ids.length;
  const h = args.horizon;
  const mean = new Float64Array(n * h);
  const notes: Array<string | null> = [];
  const used = new Map<string, number>();
  const levels = args.levels;
  const L = levels?.length ?? 0;
  const lower = new Float64Array(n * L * h);
  const upper = new Float64Array(n * L * h);
  const workers = args.workers ?? 2;
  const addon = loadAddon();
  const native = addon.ok ? addon.addon : undefined;
  const chunk = model === 'ets' || model === 'comb' ? 200 : 2000;
  const t0 = performance.now();
  for (let a = 0; a < n; a += chunk) {
    const b = Math.min(n, a + chunk);
    const base = batch.offsets[a] as number;
    const sub: SeriesBatch = {
      ids: batch.ids.slice(a, b),
      values: batch.values.subarray(base, batch.offsets[b] as number),
      offsets: batch.offsets.slice(a, b + 1).map((o) => o - base),
    };
    const out = await forecastBatch(
      sub,
      {
        model,
        horizon: h,
        seasonLength: args.season,
        ...(args.missing ? { missing: args.missing } : {}),
        ...(levels ? { levels } : {}),
        ...(args.etsModel ? { etsModel: args.etsModel } : {}),
        ...(args.etsCombine ? { etsCombine: args.etsCombine } : {}),
      },
      native ? (o) => native.tsForecast(o) : undefined,
      native ? parallelEtsFitter((o) => native.tsEtsFit(o), workers) : undefined,
    );
    mean.set(out.mean, a * h);
    if (out.intervals) {
      lower.set(out.intervals.lower, a * L * h);
      upper.set(out.intervals.upper, a * L * h);
    }
    notes.push(...out.notes);
    // A weighted ETS combination is counted under its heaviest model.
    for (const u of out.used) {
      const key = u.startsWith('AICc-weighted ') ? `${u.slice(14).split(' ')[0]} (top of a weighted combination)` : u;
      used.set(key, (used.get(key) ?? 0) + 1);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const eta = b < n ? `, about ${((elapsed / b) * (n - b)).toFixed(0)} s left` : '';
    process.stderr.write(
      `${process.stderr.isTTY ? '\r' : ''}forecast ${b}/${n} series (${args.model}, h = ${h}, ${native ? `native, ${workers} threads` : 'js'}) ${elapsed.toFixed(1)} s${eta}${process.stderr.isTTY ? '' : '\n'}`,
    );
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const ms = performance.now() - t0;
  if (args.out) {
    const header = ['"V1"', ...Array.from({ length: h }, (_, k) => `"V${k + 2}"`)].join(',');
    const rows = batch.ids.map((id, s) => [`"${id}"`, ...Array.from(mean.subarray(s * h, (s + 1) * h), (v) => `"${v}"`)].join(','));
    writeFileSync(args.out, `${header}\n${rows.join('\n')}\n`);
  }
  const summary: Record<string, unknown> = {
    series: n,
    model: args.model,
    horizon: h,
    seasonLength: args.season,
    ms,
    backend: native ? 'native' : 'js',
    notes: notes.filter(Boolean).length,
    models: Object.fromEntries([...used].sort((x, y) => y[1] - x[1])),
  };
  if (args.test) {
    const test = readSeries(args.test);
    if (test.ids.length !== n || test.ids.some((id, i) => id !== batch.ids[i]))
      throw new WaybillError('INVALID_ARGUMENT', `${args.test} must hold the same series ids in the same order as ${args.file}`);
    const sc = scoreForecasts(batch, test, mean, h, args.season);
    const n2 = scoreForecasts(batch, test, baselineForecast(batch, 'naive2', h, args.season).mean, h, args.season);
    Object.assign(summary, {
      smape: sc.smape,
      mase: sc.mase,
      owa: owa(sc, n2),
      wape: sc.wape,
      bias: sc.bias,
      naive2: { smape: n2.smape, mase: n2.mase },
    });
    if (levels) {
      summary.msis = Object.fromEntries(
        levels.map((lv, k) => {
          const lo = new Float64Array(n * h);
          const hi = new Float64Array(n * h);
          for (let s = 0; s < n; s++) {
            lo.set(lower.subarray((s * L + k) * h, (s * L + k + 1) * h), s * h);
            hi.set(upper.subarray((s * L + k) * h, (s * L + k + 1) * h), s * h);
          }
          return [String(lv), msis(batch, test, lo, hi, h, args.season, 1 - lv / 100)];
        }),
      );
    }
  }
  if (args.json) console.log(JSON.stringify(summary));
  else
    console.log(
      `${n} series forecast with ${args.model} (h = ${h}, m = ${args.season}) in ${ms.toFixed(0)} ms${summary.notes ? `, ${summary.notes} with notes` : ''}` +
        (args.test
          ? `; sMAPE ${(summary.smape as number).toFixed(3)}, MASE ${(summary.mase as number).toFixed(3)}, OWA ${(summary.owa as number).toFixed(3)} (vs Naive2 ${(n2Of(summary).smape).toFixed(3)} / ${(n2Of(summary).mase).toFixed(3)})`
          : '') +
        (args.out ? `; written to ${args.out}` : ''),
    );
  return summary;
}

function n2Of(s: Record<string, unknown>): { smape: number; mase: number } {
  return s.naive2 as { smape: number; mase: number };
}
