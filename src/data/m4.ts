/**
 * Reader for the M4 CSV layout (also used for the M3 and carparts files in ../shared/data/ts):
 * a header row `"V1","V2",...`, then one row per series `"<id>","x1","x2",...` with every value
 * quoted and rows padded with empty fields to the longest series. Series are returned in the
 * batched layout of the time-series kernels: one Float64Array of values and Int32Array offsets
 * (series i is values[offsets[i] .. offsets[i+1])), no per-series objects on the hot path.
 */
import { WaybillError } from '../errors.js';

/** Many series in one call: values of series i are values[offsets[i] .. offsets[i + 1]). */
export interface SeriesBatch {
  ids: string[];
  values: Float64Array;
  offsets: Int32Array;
}

/** Length of series i. */
export function seriesLength(b: SeriesBatch, i: number): number {
  return (b.offsets[i + 1] as number) - (b.offsets[i] as number);
}

/** A view of series i (no copy). */
export function seriesView(b: SeriesBatch, i: number): Float64Array {
  return b.values.subarray(b.offsets[i] as number, b.offsets[i + 1] as number);
}

/**
 * Parses an M4-layout CSV. Empty fields end a series (padding); an empty field followed by a
 * value, or a value that is not a number, is an error naming the line and column. The first line
 * must be the `"V1","V2",...` header (a file without it would lose its first series).
 */
export function parseM4Csv(text: string): SeriesBatch {
  const lines = text.split(/\r?\n/);
  const first = (lines[0] ?? '').replace(/^\uFEFF/, '');
  if (first.trim() !== '' && (first.split(',')[0] as string).replace(/^"|"$/g, '').trim() !== 'V1')
    throw new WaybillError('INVALID_ARGUMENT', `line 1: expected the M4 header "V1","V2",...; got "${first.slice(0, 40)}"`, {
      line: 1,
    });
  const ids: string[] = [];
  const chunks: number[] = [];
  const offsets: number[] = [0];
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li] as string;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const id = (cells[0] as string).replace(/^"|"$/g, '');
    if (id === '') throw new WaybillError('INVALID_ARGUMENT', `line ${li + 1}: the series id is empty`, { line: li + 1 });
    let ended = false;
    for (let c = 1; c < cells.length; c++) {
      const raw = (cells[c] as string).replace(/^"|"$/g, '').trim();
      if (raw === '' || raw === 'NA') {
        ended = true;
        continue;
      }
      if (ended)
        throw new WaybillError('INVALID_ARGUMENT', `line ${li + 1}, column ${c + 1}: a value after the series ended (gap)`, {
          line: li + 1,
          column: c + 1,
        });
      const v = Number(raw);
      if (!Number.isFinite(v))
        throw new WaybillError('NOT_FINITE', `line ${li + 1}, column ${c + 1}: "${raw}" is not a number`, { line: li + 1, column: c + 1 });
      chunks.push(v);
    }
    ids.push(id);
    offsets.push(chunks.length);
  }
  return { ids, values: Float64Array.from(chunks), offsets: Int32Array.from(offsets) };
}
