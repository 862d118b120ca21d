/**
 * UCI Online Retail (a UK online gift wholesaler, 541,909 invoice lines, 2010-12-01 to 2011-12-09;
 * data/retail/SOURCES.md) read from its monthly gzip CSV files, and a weekly revenue hierarchy
 * built from it for forecast reconciliation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WaybillError } from '../errors.js';
import type { HierarchyNode } from '../kernels/timeseries/reconcile.js';

export interface RetailLine {
  invoice: string;
  stockCode: string;
  quantity: number;
  /** 'YYYY-MM-DD'. */
  day: string;
  /** Invoice date-time as written, 'YYYY-MM-DD HH:MM:SS' (UK wall clock; no zone in the data). */
  time: string;
  /** CustomerID as an integer string ('17850'; the files write '17850.0'); '' when missing (24.9 % of lines). */
  customer: string;
  /** GBP per unit. */
  unitPrice: number;
  country: string;
}

/** Splits one CSV record (RFC 4180 quoting: "a, b" and "" inside quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * Every invoice line of the files `online_retail_YYYY-MM.csv.gz` in `dir` (read with node:zlib),
 * in file order. Lines without 8 fields are refused (the published files have none).
 */
export function readOnlineRetail(dir: string): RetailLine[] {
  const files = readdirSync(dir)
    .filter((f) => /^online_retail_\d{4}-\d{2}\.csv\.gz$/.test(f))
    .sort();
  if (files.length === 0) throw new WaybillError('NOT_FOUND', `no online_retail_YYYY-MM.csv.gz files in ${dir}`);
  const lines: RetailLine[] = [];
  for (const file of files) {
    const text = gunzipSync(readFileSync(join(dir, file))).toString('utf8');
    const rows = text.split('\n');
    for (let r = 1; r < rows.length; r++) {
      const row = rows[r] as string;
      if (row === '') continue;
      const f = splitCsvLine(row);
      if (f.length !== 8) throw new WaybillError('INVALID_ARGUMENT', `${file} line ${r + 1}: ${f.length} fields, expected 8`);
      lines.push({
        invoice: f[0] as string,
        stockCode: f[1] as string,
        quantity: Number(f[3]),
        day: (f[4] as string).slice(0, 10),
        time: f[4] as string,
        customer: (f[6] as string).replace(/\.0+$/, ''),
        unitPrice: Number(f[5]),
        country: f[7] as string,
      });
    }
  }
  return lines;
}

export interface RetailHierarchy {
  /** Node order: Total, the countries (top ones by revenue, then 'Other'), then the UK's children. */
  nodes: HierarchyNode[];
  /** Weekly revenue (GBP) per node, n x weeks, row-major. */
  values: Float64Array;
  weeks: number;
  /** Monday of each week, 'YYYY-MM-DD'. */
  weekStarts: string[];
  /** Per node: its level name ('total', 'country', 'uk-group'). */
  levels: string[];
  /** What was left out and why. */
  excluded: { cancelled: number; nonPositiveQuantity: number; nonPositivePrice: number; partialWeeks: number };
}

const DAY_MS = 86_400_000;

/**
 * Weekly revenue (Quantity x UnitPrice) of the Online Retail lines as a three-level hierarchy:
 * Total -> Country (the `topCountries` countries by revenue and 'Other') -> for the United
 * Kingdom, product groups = the first `groupDigits` characters of StockCode (the data has no
 * category column; codes sharing a prefix are neighbouring product ranges) for the `ukGroups`
 * groups with the most UK revenue and 'UK other' (every other code, the non-product ones such as
 * POST and M included). Excluded: cancelled invoices (InvoiceNo 'C...'), lines with Quantity <= 0
 * or UnitPrice <= 0 (adjustments, bad-debt write-offs, free samples), and the partial weeks at
 * both ends (weeks are Monday to Sunday; the data starts on a Wednesday and ends on a Friday).
 */
export function weeklyRetailHierarchy(lines: ReadonlyArray<RetailLine>, topCountries = 6, ukGroups = 5, groupDigits = 2): RetailHierarchy {
  let cancelled = 0;
  let nonPositiveQuantity = 0;
  let nonPositivePrice = 0;
  const kept: RetailLine[] = [];
  for (const l of lines) {
    if (l.invoice.startsWith('C')) cancelled++;
    else if (!(l.quantity > 0)) nonPositiveQuantity++;
    else if (!(l.unitPrice > 0)) nonPositivePrice++;
    else kept.push(l);
  }
  const byCountry = new Map<string, number>();
  const ukByGroup = new Map<string, number>();
  const group = (code: string) => (/^\d/.test(code) ? code.slice(0, groupDigits) : '');
  for (const l of kept) {
    const r = l.quantity * l.unitPrice;
    byCountry.set(l.country, (byCountry.get(l.country) ?? 0) + r);
    if (l.country === 'United Kingdom') ukByGroup.set(group(l.stockCode), (ukByGroup.get(group(l.stockCode)) ?? 0) + r);
  }
  const countries = [...byCountry.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topCountries)
    .map(([c]) => c);
  if (!countries.includes('United Kingdom'))
    throw new WaybillError('INVALID_ARGUMENT', 'the United Kingdom is not among the top countries');
  const groups = [...ukByGroup.entries()]
    .filter(([g]) => g !== '')
    .sort((a, b) => b[1] - a[1])
    .slice(0, ukGroups)
    .map(([g]) => g);
  const nodes: HierarchyNode[] = [{ id: 'Total', parent: null }];
  const levels = ['total'];
  for (const c of [...countries, 'Other']) {
    nodes.push({ id: c, parent: 'Total' });
    levels.push('country');
  }
  for (const g of [...groups.map((x) => `UK ${x}xxx`), 'UK other']) {
    nodes.push({ id: g, parent: 'United Kingdom' });
    levels.push('uk-group');
  }
  const index = new Map(nodes.map((x, i) => [x.id, i]));
  // Weeks from the first Monday on or after the first day to the last Sunday on or before the last day.
  const days = kept.map((l) => Date.parse(`${l.day}T00:00:00Z`));
  const { min: first, max: last } = minMax(days);
  const firstMonday = first + ((8 - new Date(first).getUTCDay()) % 7) * DAY_MS;
  const lastSunday = last - (new Date(last).getUTCDay() % 7) * DAY_MS;
  const weeks = Math.floor((lastSunday - firstMonday) / (7 * DAY_MS)) + 1;
  const n = nodes.length;
  const values = new Float64Array(n * weeks);
  let partialWeeks = 0;
  kept.forEach((l, k) => {
    const w = Math.floor(((days[k] as number) - firstMonday) / (7 * DAY_MS));
    if (w < 0 || w >= weeks) {
      partialWeeks++;
      return;
    }
    const r = l.quantity * l.unitPrice;
    const country = countries.includes(l.country) ? l.country : 'Other';
    const add = (id: string) => {
      const i = index.get(id) as number;
      values[i * weeks + w] = (values[i * weeks + w] as number) + r;
    };
    add('Total');
    add(country);
    if (country === 'United Kingdom') {
      const g = group(l.stockCode);
      add(groups.includes(g) ? `UK ${g}xxx` : 'UK other');
    }
  });
  const weekStarts = Array.from({ length: weeks }, (_, w) => new Date(firstMonday + w * 7 * DAY_MS).toISOString().slice(0, 10));
  return { nodes, values, weeks, weekStarts, levels, excluded: { cancelled, nonPositiveQuantity, nonPositivePrice, partialWeeks } };
}

/** Min and max of a long array (spreading 541k values into Math.min would overflow the stack). */
function minMax(a: ReadonlyArray<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of a) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
