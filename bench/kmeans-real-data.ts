/**
 * Real feature tables for k-means (bench/ml-kmeans.bench.ts, test/kernels/ml-kmeans-native.test.ts),
 * from the UCI Online Retail invoice lines (`<WAYBILL_DATA_DIR>/retail/online_retail`, default
 * ../shared/data; see retail/SOURCES.md: 541,909 lines, 2010-12-01 .. 2011-12-09).
 *
 * Kept lines: a CustomerID, not a cancellation (InvoiceNo not starting with C), Quantity > 0 and
 * UnitPrice > 0 (397,884 lines, 4,338 customers).
 *
 * - Customer RFM (merchant tiering): one row per customer, ascending CustomerID: recency (days
 *   from the last invoice to the day after the last invoice of the data set), log1p(frequency,
 *   distinct invoices), log1p(monetary, GBP); every column z-scored.
 * - Invoice lines (a larger real table): log1p(Quantity), log1p(UnitPrice), hour of day
 *   (fractional), day of week (0 Sunday); every column z-scored; in file order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultDataDir } from '../src/paths.js';

/** A row-major table `rows x numFeatures`. */
export interface KMeansTable {
  data: Float64Array;
  rows: number;
  numFeatures: number;
  featureNames: string[];
  source: string;
}

const MONTHS = [
  '2010-12',
  '2011-01',
  '2011-02',
  '2011-03',
  '2011-04',
  '2011-05',
  '2011-06',
  '2011-07',
  '2011-08',
  '2011-09',
  '2011-10',
  '2011-11',
  '2011-12',
];

/** The folder of the Online Retail files, or undefined when absent. */
export function onlineRetailDir(dataDir = defaultDataDir()): string | undefined {
  const dir = join(dataDir, 'retail', 'online_retail');
  return existsSync(join(dir, `online_retail_${MONTHS[0]}.csv.gz`)) ? dir : undefined;
}

/** Fields of one CSV line (double quotes, "" inside quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

interface RetailLine {
  invoice: string;
  quantity: number;
  price: number;
  /** Milliseconds (the timestamp read as UTC). */
  time: number;
  customer: number;
}

let cache: { dir: string; lines: RetailLine[] } | undefined;

/** The kept invoice lines, in file order. */
function retailLines(dir: string): RetailLine[] {
  if (cache?.dir === dir) return cache.lines;
  const lines: RetailLine[] = [];
  for (const m of MONTHS) {
    const text = gunzipSync(readFileSync(join(dir, `online_retail_${m}.csv.gz`))).toString('utf8');
    const rows = text.split('\n');
    for (let r = 1; r < rows.length; r++) {
      const row = rows[r] as string;
      if (row.length === 0) continue;
      const f = splitCsv(row);
      const invoice = f[0] ?? '';
      const quantity = Number(f[3]);
      const price = Number(f[5]);
      const customer = f[6] ? Number(f[6]) : Number.NaN;
      if (invoice.startsWith('C') || !(quantity > 0) || !(price > 0) || !Number.isFinite(customer)) continue;
      lines.push({ invoice, quantity, price, time: Date.parse(`${(f[4] ?? '').replace(' ', 'T')}Z`), customer });
    }
  }
  cache = { dir, lines };
  return lines;
}

/** Standardises each column of a row-major table in place (population standard deviation). */
function zscore(data: Float64Array, p: number): void {
  const n = data.length / p;
  for (let f = 0; f < p; f++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * p + f] as number;
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += ((data[i * p + f] as number) - mu) ** 2;
    const sd = Math.sqrt(v / n) || 1;
    for (let i = 0; i < n; i++) data[i * p + f] = ((data[i * p + f] as number) - mu) / sd;
  }
}

/** Customer RFM features (4,338 customers x 3), z-scored; undefined without the data. */
export function loadRetailRfm(dataDir?: string): KMeansTable | undefined {
  const dir = onlineRetailDir(dataDir);
  if (!dir) return undefined;
  const lines = retailLines(dir);
  let maxTime = Number.NEGATIVE_INFINITY;
  const byCustomer = new Map<number, { last: number; invoices: Set<string>; monetary: number }>();
  for (const l of lines) {
    maxTime = Math.max(maxTime, l.time);
    let c = byCustomer.get(l.customer);
    if (!c) {
      c = { last: l.time, invoices: new Set(), monetary: 0 };
      byCustomer.set(l.customer, c);
    }
    c.last = Math.max(c.last, l.time);
    c.invoices.add(l.invoice);
    c.monetary += l.quantity * l.price;
  }
  const day = 86_400_000;
  const reference = Math.floor(maxTime / day) * day + day;
  const ids = [...byCustomer.keys()].sort((a, b) => a - b);
  const p = 3;
  const data = new Float64Array(ids.length * p);
  ids.forEach((id, i) => {
    const c = byCustomer.get(id);
    if (!c) return;
    data[i * p] = (reference - c.last) / day;
    data[i * p + 1] = Math.log1p(c.invoices.size);
    data[i * p + 2] = Math.log1p(c.monetary);
  });
  zscore(data, p);
  return {
    data,
    rows: ids.length,
    numFeatures: p,
    featureNames: ['recencyDays', 'log1pFrequency', 'log1pMonetary'],
    source: 'UCI Online Retail, customer RFM',
  };
}

/** Invoice-line features (397,884 lines x 4), z-scored; undefined without the data. */
export function loadRetailLines(dataDir?: string): KMeansTable | undefined {
  const dir = onlineRetailDir(dataDir);
  if (!dir) return undefined;
  const lines = retailLines(dir);
  const p = 4;
  const data = new Float64Array(lines.length * p);
  lines.forEach((l, i) => {
    const d = new Date(l.time);
    data[i * p] = Math.log1p(l.quantity);
    data[i * p + 1] = Math.log1p(l.price);
    data[i * p + 2] = d.getUTCHours() + d.getUTCMinutes() / 60;
    data[i * p + 3] = d.getUTCDay();
  });
  zscore(data, p);
  return {
    data,
    rows: lines.length,
    numFeatures: p,
    featureNames: ['log1pQuantity', 'log1pUnitPrice', 'hourOfDay', 'dayOfWeek'],
    source: 'UCI Online Retail, invoice lines',
  };
}
