/**
 * Geo routes: distance matrices, k-nearest and cell assignment over JSON. Points arrive as [lat, lng] pairs (or
 * [x, y] for the euclidean metric) and are packed into one Float64Array for the kernels.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import { GRID_MAX_DISTANCE_M, GRID_MIN_SIZE_M } from '../../kernels/geo/cells.js';
import type { RunRecord } from '../../kernels/geo/types.js';
import { clientGone } from '../client-gone.js';
import { BackendName, BackendUsed, errorResponses, Point, Timings } from '../schemas.js';

export interface GeoRouteOptions {
  engine: Engine;
  /** Largest origins x destinations (or origins x k) one request may ask for. */
  maxCells: number;
  /** Largest number of points per list. */
  maxPoints: number;
}

const Metric = Type.Union([Type.Literal('haversine'), Type.Literal('euclidean')], {
  description: "'haversine' (default): great-circle metres between [lat, lng] degrees; 'euclidean': planar, in the input's unit",
});

function pack(points: ReadonlyArray<readonly [number, number]>): Float64Array {
  const out = new Float64Array(points.length * 2);
  points.forEach(([a, b], i) => {
    out[2 * i] = a;
    out[2 * i + 1] = b;
  });
  return out;
}

function rowsOf(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Array.from({ length: cols }, (_, j) => data[i * cols + j] as number);
  return out;
}

/**
 * {@link rowsOf} for distances: JSON has no Infinity, so a distance that overflowed (coordinates
 * or radius too large for the output precision) is a NOT_FINITE error naming it, never a null.
 */
function distanceRows(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  for (let t = 0; t < rows * cols; t++) {
    const v = data[t] as number;
    if (!Number.isFinite(v)) {
      const [row, col] = [Math.floor(t / cols), t % cols];
      throw new WaybillError('NOT_FINITE', `distances[${row}][${col}] is ${v}: the coordinates or radius are too large for the output`, {
        argument: 'distances',
        row,
        col,
      });
    }
  }
  return rowsOf(data, rows, cols);
}

/** The run record every geo response carries (which backend, how many workers, timings). */
const RunRecordFields = {
  backend: BackendUsed,
  workers: Type.Integer({ description: 'pool workers used (0: the calling thread)' }),
  mode: Type.Optional(Type.String({ description: 'backend mode, e.g. the mode gpu.js really ran in' })),
  timings: Timings,
};

function runRecord(r: RunRecord): Pick<RunRecord, 'backend' | 'workers' | 'mode' | 'timings'> {
  return { backend: r.backend, workers: r.workers, ...(r.mode ? { mode: r.mode } : {}), timings: r.timings };
}

const GeohashScheme = Type.Object(
  {
    type: Type.Literal('geohash'),
    precision: Type.Integer({ minimum: 1, maximum: 12, description: 'characters per id (5: ~4.9 km, 7: ~153 m at the equator)' }),
  },
  { additionalProperties: false },
);

const GridScheme = Type.Object(
  {
    type: Type.Literal('grid'),
    origin: Type.Unsafe<[number, number]>(
      Type.Array(Type.Number(), {
        minItems: 2,
        maxItems: 2,
        description: '[lat, lng] degrees, |lat| <= 80: south-west corner of cell 0:0',
      }),
    ),
    sizeMeters: Type.Number({ minimum: GRID_MIN_SIZE_M, maximum: GRID_MAX_DISTANCE_M, description: 'cell side, metres (1 mm to 500 km)' }),
  },
  { additionalProperties: false },
);

/** POST /v1/geo/distance-matrix, /v1/geo/k-nearest and /v1/geo/cells; the client disconnecting aborts the kernel. */
export const geoRoutes: FastifyPluginAsyncTypebox<GeoRouteOptions> = async (app, { engine, maxCells, maxPoints }) => {
  const Points = Type.Array(Point, { maxItems: maxPoints });

  function checkCells(rows: number, cols: number, what: string): void {
    if (rows * cols > maxCells) {
      throw new WaybillError(
        'TOO_LARGE',
        `${what} of ${rows} x ${cols} = ${rows * cols} cells exceeds the limit of ${maxCells} per request`,
        {
          rows,
          cols,
          limit: maxCells,
        },
      );
    }
  }

  app.post(
    '/v1/geo/distance-matrix',
    {
      schema: {
        tags: ['geo'],
        summary: 'Distance matrix between origins and destinations',
        body: Type.Object(
          {
            origins: Points,
            destinations: Points,
            metric: Type.Optional(Metric),
            output: Type.Optional(Type.Union([Type.Literal('float64'), Type.Literal('float32')])),
            backend: Type.Optional(BackendName),
            radius: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'sphere radius in metres (haversine)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            rows: Type.Integer(),
            cols: Type.Integer(),
            unit: Type.Union([Type.Literal('m'), Type.Literal('input')]),
            distances: Type.Array(Type.Array(Type.Number()), {
              description: 'rows x cols, distances[i][j] from origin i to destination j',
            }),
            ...RunRecordFields,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { origins, destinations, metric = 'haversine', output, backend, radius } = request.body;
      checkCells(origins.length, destinations.length, 'a matrix');
      const signal = clientGone(reply);
      const options = { signal, ...(backend ? { backend } : {}), ...(output ? { output } : {}) };
      const r =
        metric === 'euclidean'
          ? await engine.kernels.geo.euclideanMatrix(pack(origins), pack(destinations), options)
          : await engine.kernels.geo.haversineMatrix(pack(origins), pack(destinations), { ...options, ...(radius ? { radius } : {}) });
      return {
        rows: r.rows,
        cols: r.cols,
        unit: metric === 'euclidean' ? ('input' as const) : ('m' as const),
        distances: distanceRows(r.data, r.rows, r.cols),
        ...runRecord(r),
      };
    },
  );

  app.post(
    '/v1/geo/k-nearest',
    {
      schema: {
        tags: ['geo'],
        summary: 'The k nearest destinations of each origin',
        body: Type.Object(
          {
            origins: Points,
            destinations: Points,
            k: Type.Integer({ minimum: 1 }),
            metric: Type.Optional(Metric),
            backend: Type.Optional(BackendName),
            radius: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            rows: Type.Integer(),
            k: Type.Integer(),
            indices: Type.Array(Type.Array(Type.Integer()), {
              description: 'rows x k destination indices, nearest first; ties to the lower index',
            }),
            distances: Type.Array(Type.Array(Type.Number())),
            ...RunRecordFields,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { origins, destinations, k, metric, backend, radius } = request.body;
      checkCells(origins.length, destinations.length, 'a search');
      const r = await engine.kernels.geo.kNearest(pack(origins), pack(destinations), k, {
        signal: clientGone(reply),
        ...(metric ? { metric } : {}),
        ...(backend ? { backend } : {}),
        ...(radius ? { radius } : {}),
      });
      return {
        rows: r.rows,
        k: r.k,
        indices: rowsOf(r.indices, r.rows, r.k),
        distances: distanceRows(r.distances, r.rows, r.k),
        ...runRecord(r),
      };
    },
  );

  app.post(
    '/v1/geo/cells',
    {
      schema: {
        tags: ['geo'],
        summary: 'Spatial cell of each point (geohash or a metric square grid), optionally counts and sums per cell',
        body: Type.Object(
          {
            points: Points,
            // oneOf with a discriminator, not anyOf: the validator reports the named scheme's
            // errors only (a grid's sizeMeters 0 was reported as a missing 'precision').
            scheme: Type.Unsafe<Static<typeof GeohashScheme> | Static<typeof GridScheme>>({
              type: 'object',
              oneOf: [GeohashScheme, GridScheme],
              discriminator: { propertyName: 'type' },
              description: "{ type: 'geohash', precision } or { type: 'grid', origin, sizeMeters } (points within 500 km of the origin)",
            }),
            counts: Type.Optional(Type.Boolean({ description: 'also return points (and sums of values) per distinct cell' })),
            values: Type.Optional(Type.Array(Type.Number(), { maxItems: maxPoints, description: 'one value per point, summed per cell' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            scheme: Type.Union([Type.Literal('geohash'), Type.Literal('grid')]),
            ids: Type.Array(Type.String(), { description: "cell id per point: a geohash, or 'row:col' of the grid" }),
            rows: Type.Optional(Type.Array(Type.Integer(), { description: 'grid row per point (northward from the origin)' })),
            cols: Type.Optional(Type.Array(Type.Integer(), { description: 'grid column per point (eastward from the origin)' })),
            cells: Type.Optional(
              Type.Object({
                ids: Type.Array(Type.String(), { description: 'distinct cell ids, sorted' }),
                counts: Type.Array(Type.Integer()),
                sums: Type.Optional(Type.Array(Type.Number())),
              }),
            ),
            backend: BackendUsed,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { points, scheme, counts, values } = request.body;
      if (values !== undefined && values.length !== points.length) {
        throw new WaybillError('INVALID_LENGTH', `values has ${values.length} elements; points has ${points.length}`, {
          argument: 'values',
          length: values.length,
          expected: points.length,
        });
      }
      const cells = engine.kernels.geo.cells;
      const coords = pack(points);
      let ids: string[];
      let grid: { rows: number[]; cols: number[] } | undefined;
      if (scheme.type === 'geohash') {
        ids = cells.geohashEncode(coords, scheme.precision).ids;
      } else {
        const r = cells.gridAssign(coords, { origin: scheme.origin, sizeMeters: scheme.sizeMeters });
        ids = r.ids;
        grid = { rows: Array.from(r.rows), cols: Array.from(r.cols) };
      }
      const agg = counts || values !== undefined ? cells.aggregateCells(ids, values) : undefined;
      return {
        scheme: scheme.type,
        ids,
        ...(grid ?? {}),
        ...(agg ? { cells: { ids: agg.ids, counts: Array.from(agg.counts), ...(agg.sums ? { sums: Array.from(agg.sums) } : {}) } } : {}),
        backend: 'js' as const,
      };
    },
  );
};
