/**
 * RFC 4180 CSV reading shared by the CLI (`waybill train` / `predict`) and the data loaders.
 */
import { WaybillError } from '../errors.js';

/** Rows of cells plus, per row, the 1-based line of the file it starts on. */
export interface CsvRecords {
  rows: string[][];
  /** `lines[i]` is the physical line (1-based) where `rows[i]` starts (quoted newlines counted). */
  lines: number[];
}

/**
 * Parses CSV text (RFC 4180: quoted fields with "" escapes and embedded commas or newlines; LF
 * or CRLF line ends) into rows of cells and the line each row starts on. Blank lines are skipped;
 * a line holding only `""` is a row (one empty cell: a missing value in a one-column file). Text
 * that ends inside a quoted field is INVALID_ARGUMENT naming the line the field opened on.
 */
export function parseCsvRecords(text: string): CsvRecords {
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let rowQuoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  let i = 0;
  const n = text.length;
  const endRow = () => {
    row.push(cell);
    cell = '';
    if (row.length > 1 || rowQuoted || (row[0] as string).trim() !== '') {
      rows.push(row);
      lines.push(rowLine);
    }
    row = [];
    rowQuoted = false;
  };
  while (i < n) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"') {
      quoted = rowQuoted = true;
      quoteLine = line;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      endRow();
      line++;
      rowLine = line;
    } else if (ch !== '\r') cell += ch;
    i++;
  }
  if (quoted)
    throw new WaybillError('INVALID_ARGUMENT', `the CSV ends inside a quoted field opened on line ${quoteLine}`, {
      field: 'csv',
      line: quoteLine,
    });
  if (cell !== '' || row.length > 0 || rowQuoted) endRow();
  return { rows, lines };
}

/** {@link parseCsvRecords} without the line numbers. */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).rows;
}
