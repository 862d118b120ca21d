/**
 * Real supervised tables for the GBDT benchmark on real data (bench/ml-real.bench.ts) and its
 * accuracy test (test/kernels/ml-real.test.ts), built from the shared data sets
 * (`<WAYBILL_DATA_DIR>`, default ../shared/data; see the SOURCES.md of each folder):
 *
 * - Hillstrom e-mail test (uplift/hillstrom.csv, 64,000 customers): 9 features known before the
 *   e-mail (recency, history_segment, history, mens, womens, zip_code, newbie, channel, segment;
 *   history_segment, zip_code, channel and segment categorical), targets visit, conversion and
 *   spend (the outcome columns are never features).
 * - LaDe-P pickups (lastmile/lade_pickup_subset, 6,190 tasks, 5 Chinese cities): 10 features
 *   known when the courier accepts the task, target the accept-to-pickup duration in minutes.
 *
 * Categorical columns hold integer codes >= 0 (the index of the value among the sorted distinct
 * values), as both our GBDT and XGBoost's native categorical splits expect.
 */
import { join } from 'node:path';
import { loadLadePickups } from '../src/data/lade.js';
import { readDataText } from '../src/data/trajectory-loaders.js';
import { haversine } from '../src/kernels/geo/haversine-matrix.js';
import { mulberry32, sampleWithoutReplacement } from '../src/kernels/ml/random.js';
import { defaultDataDir } from '../src/paths.js';

/** A feature table: row-major `rows x numFeatures` float64 (NaN = missing). */
export interface RealTable {
  features: Float64Array;
  numFeatures: number;
  featureNames: string[];
  /** Indices of the categorical features (integer codes >= 0). */
  categoricalFeatures: number[];
  rows: number;
}

export interface HillstromTable extends RealTable {
  /** 1 = visited the web site within two weeks of the e-mail. */
  visit: Float64Array;
  /** 1 = purchased within two weeks (0.9 % of customers). */
  conversion: Float64Array;
  /** Dollars spent within two weeks (zero for 99.1 % of customers). */
  spend: Float64Array;
}

const HILLSTROM_COLUMNS = [
  'recency',
  'history_segment',
  'history',
  'mens',
  'womens',
  'zip_code',
  'newbie',
  'channel',
  'segment',
  'visit',
  'conversion',
  'spend',
] as const;
const HILLSTROM_FEATURES = ['recency', 'history_segment', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel', 'segment'];
const HILLSTROM_CATEGORICAL = new Set(['history_segment', 'zip_code', 'channel', 'segment']);

/** Fields of one CSV line; double-quoted fields may hold commas (`"6) $750 - $1,000"`), `""` is a quote. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** Sorted distinct values -> code (index), so codes do not depend on row order. */
function codeBook(values: readonly string[]): Map<string, number> {
  return new Map([...new Set(values)].sort().map((v, i) => [v, i]));
}

/**
 * `<dataDir>/uplift/hillstrom.csv` as a feature table plus the three outcome columns. Throws when
 * the header differs from the published one or a row has the wrong field count.
 */
export function loadHillstromTable(dataDir: string = defaultDataDir()): HillstromTable {
  const path = join(dataDir, 'uplift', 'hillstrom.csv');
  const lines = readDataText(path)
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  if (header.join(',') !== HILLSTROM_COLUMNS.join(',')) throw new Error(`${path}: unexpected header ${lines[0]}`);
  const cells = lines.slice(1).map((l, i) => {
    const f = csvFields(l);
    if (f.length !== HILLSTROM_COLUMNS.length) throw new Error(`${path}, line ${i + 2}: expected 12 fields, got ${f.length}`);
    return f;
  });
  const col = (name: string) => header.indexOf(name);
  const n = cells.length;
  const p = HILLSTROM_FEATURES.length;
  const features = new Float64Array(n * p);
  const categoricalFeatures: number[] = [];
  HILLSTROM_FEATURES.forEach((name, f) => {
    const c = col(name);
    const raw = cells.map((row) => row[c] as string);
    if (HILLSTROM_CATEGORICAL.has(name)) {
      categoricalFeatures.push(f);
      const book = codeBook(raw);
      for (let r = 0; r < n; r++) features[r * p + f] = book.get(raw[r] as string) as number;
    } else {
      for (let r = 0; r < n; r++) features[r * p + f] = Number(raw[r]);
    }
  });
  const outcome = (name: string) => Float64Array.from(cells, (row) => Number(row[col(name)]));
  return {
    features,
    numFeatures: p,
    featureNames: HILLSTROM_FEATURES,
    categoricalFeatures,
    rows: n,
    visit: outcome('visit'),
    conversion: outcome('conversion'),
    spend: outcome('spend'),
  };
}

export interface LadeTable extends RealTable {
  /** Accept-to-pickup duration, minutes (>= 0; minute resolution, heavy right tail of multi-day tasks). */
  minutes: Float64Array;
}

const LADE_FEATURES = [
  'accept_minute_of_day',
  'window_start_after_accept_min',
  'window_end_after_accept_min',
  'lat',
  'lng',
  'courier_to_customer_km',
  'city',
  'region_id',
  'aoi_type',
  'courier',
];
const EARTH_RADIUS_KM = 6371.0088;

/**
 * LaDe-P pickup tasks as a table of what is known when the courier accepts a task: accept time of
 * day (minutes, China Standard Time), the customer's window start and end relative to the accept
 * time (minutes; NaN when absent), customer lat / lng, the great-circle distance from the
 * courier's GPS fix at acceptance to the customer (km; NaN when there is no fix: 43 % of rows),
 * and city, region_id, aoi_type and courier (city + courier_id) as categoricals. The pickup-time
 * GPS columns are left out (they are observed only at pickup).
 */
export function loadLadeTable(dataDir: string = defaultDataDir()): LadeTable {
  const d = loadLadePickups(dataDir);
  const n = d.count;
  const p = LADE_FEATURES.length;
  const features = new Float64Array(n * p);
  const minutes = new Float64Array(n);
  const cities = codeBook(d.city);
  const couriers = codeBook(d.city.map((c, r) => `${c}/${d.courierId[r]}`));
  const regions = codeBook(Array.from(d.regionId, String));
  const aoiTypes = codeBook(Array.from(d.aoiType, String));
  for (let r = 0; r < n; r++) {
    const accept = d.acceptTime[r] as number;
    const lat = d.coords[2 * r] as number;
    const lng = d.coords[2 * r + 1] as number;
    const gLat = d.acceptGps[2 * r] as number;
    const gLng = d.acceptGps[2 * r + 1] as number;
    const row = [
      ((((accept + 8 * 3600) % 86400) + 86400) % 86400) / 60,
      ((d.windowStart[r] as number) - accept) / 60,
      ((d.windowEnd[r] as number) - accept) / 60,
      lat,
      lng,
      Number.isFinite(gLat) && Number.isFinite(gLng) ? haversine(gLat, gLng, lat, lng, EARTH_RADIUS_KM) : Number.NaN,
      cities.get(d.city[r] as string) as number,
      regions.get(String(d.regionId[r])) as number,
      aoiTypes.get(String(d.aoiType[r])) as number,
      couriers.get(`${d.city[r]}/${d.courierId[r]}`) as number,
    ];
    features.set(row, r * p);
    minutes[r] = ((d.pickupTime[r] as number) - accept) / 60;
    if (!Number.isFinite(minutes[r] as number)) throw new Error(`LaDe row ${r}: no accept time`);
  }
  return { features, numFeatures: p, featureNames: LADE_FEATURES, categoricalFeatures: [6, 7, 8, 9], rows: n, minutes };
}

/**
 * A seeded random split: round(trainShare n) rows drawn without replacement by mulberry32(seed)
 * (random.ts sampleWithoutReplacement) train, the others validate; both index lists ascending.
 */
export function seededSplit(n: number, trainShare: number, seed: number): { train: Int32Array; valid: Int32Array } {
  const train = sampleWithoutReplacement(mulberry32(seed), n, Math.round(trainShare * n));
  const inTrain = new Uint8Array(n);
  for (const i of train) inTrain[i] = 1;
  const valid = new Int32Array(n - train.length);
  let k = 0;
  for (let i = 0; i < n; i++) if (!inTrain[i]) valid[k++] = i;
  return { train, valid };
}

/**
 * k-fold cross-validation folds: the rows 0..n-1 in a mulberry32(seed) Fisher–Yates order, cut
 * into k runs of floor or ceil(n / k) rows; fold f validates on its run and trains on the rest.
 * Every row is validated exactly once; both index lists of a fold ascending.
 */
export function seededFolds(n: number, k: number, seed: number): { train: Int32Array; valid: Int32Array }[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`folds must be an integer in 2..${n} (the rows), got ${k}`);
  const rng = mulberry32(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let j = 0; j < n - 1; j++) {
    const r = j + Math.floor(rng() * (n - j));
    const t = order[j] as number;
    order[j] = order[r] as number;
    order[r] = t;
  }
  const fold = new Int32Array(n);
  for (let f = 0; f < k; f++) for (let j = Math.floor((f * n) / k); j < Math.floor(((f + 1) * n) / k); j++) fold[order[j] as number] = f;
  return Array.from({ length: k }, (_, f) => {
    const valid: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? valid : train).push(i);
    return { train: Int32Array.from(train), valid: Int32Array.from(valid) };
  });
}

/** The rows `idx` of a row-major table (`numFeatures` columns) and of its labels. */
export function takeRows(
  table: RealTable,
  labels: Float64Array,
  idx: Int32Array,
): { features: Float64Array; numFeatures: number; labels: Float64Array } {
  const p = table.numFeatures;
  const features = new Float64Array(idx.length * p);
  idx.forEach((r, k) => {
    features.set(table.features.subarray(r * p, r * p + p), k * p);
  });
  return { features, numFeatures: p, labels: Float64Array.from(idx, (r) => labels[r] as number) };
}

/** Hillstrom's arms as an uplift test numbers them: 0 = No E-Mail (control), 1 = Mens E-Mail, 2 = Womens E-Mail. */
export const HILLSTROM_ARMS = ['No E-Mail', 'Mens E-Mail', 'Womens E-Mail'] as const;

/**
 * Hillstrom as a randomised uplift test: the feature table without `segment` (the treatment) and
 * each customer's arm (HILLSTROM_ARMS). The segment codes are the sorted names (codeBook):
 * Mens E-Mail 0, No E-Mail 1, Womens E-Mail 2.
 */
export function hillstromUplift(t: HillstromTable): RealTable & { arm: Int32Array } {
  const p0 = t.numFeatures;
  if (t.featureNames[p0 - 1] !== 'segment') throw new Error('hillstromUplift: segment must be the last feature');
  const p = p0 - 1;
  const armOfCode = [1, 0, 2];
  const features = new Float64Array(t.rows * p);
  const arm = new Int32Array(t.rows);
  for (let r = 0; r < t.rows; r++) {
    features.set(t.features.subarray(r * p0, r * p0 + p), r * p);
    arm[r] = armOfCode[t.features[r * p0 + p] as number] as number;
  }
  return {
    features,
    numFeatures: p,
    featureNames: t.featureNames.slice(0, p),
    categoricalFeatures: t.categoricalFeatures.filter((f) => f < p),
    rows: t.rows,
    arm,
  };
}
