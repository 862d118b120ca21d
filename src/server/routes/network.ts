/**
 * Network graph routes over `engine.graph` (built from the shared data on the first request):
 * summary, neighbours, k-shortest paths, lane statistics, drift flags and exports. Node ids hold
 * ':' and '/' (`lade:aoi:Chongqing/6440`): percent-encode them in paths (`%2F`). Unknown ids are
 * 404 NOT_FOUND with `details.node`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import type { GraphEdge, GraphNode } from '../../graph/types.js';
import { ErrorRef, errorResponses } from '../schemas.js';

export interface NetworkRouteOptions {
  engine: Engine;
}

const Num = Type.Union([Type.Number(), Type.Null()]);
const fin = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

const NodeOut = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  source: Type.String(),
  label: Type.String(),
  lat: Num,
  lng: Num,
  attrs: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
});
const EdgeOut = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  kind: Type.String(),
  source: Type.String(),
  count: Type.Integer(),
  timeBasis: Type.String(),
  meanSeconds: Num,
});

function nodeOut(n: GraphNode) {
  const attrs: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(n.attrs)) attrs[k] = typeof v === 'number' ? fin(v) : v;
  return { id: n.id, kind: n.kind, source: n.source, label: n.label, lat: fin(n.lat), lng: fin(n.lng), attrs };
}

function edgeOut(e: GraphEdge) {
  const t = e.seconds.filter(Number.isFinite);
  return {
    id: e.id,
    from: e.from,
    to: e.to,
    kind: e.kind,
    source: e.source,
    count: e.count,
    timeBasis: e.timeBasis,
    meanSeconds: t.length ? t.reduce((a, b) => a + b, 0) / t.length : null,
  };
}

const errors = { ...errorResponses, 404: ErrorRef };

export const networkRoutes: FastifyPluginAsyncTypebox<NetworkRouteOptions> = async (app, { engine }) => {
  const graph = engine.graph;

  app.get(
    '/v1/network/summary',
    {
      schema: {
        tags: ['network'],
        summary: 'Node and edge counts by kind, and what the build took from each source',
        response: {
          200: Type.Object({
            nodes: Type.Record(Type.String(), Type.Integer()),
            edges: Type.Record(Type.String(), Type.Integer()),
            report: Type.Optional(Type.Record(Type.String(), Type.Integer())),
            source: Type.String(),
            dataDir: Type.Optional(Type.String()),
            buildMs: Type.Number(),
          }),
          ...errors,
        },
      },
    },
    async () => {
      const { report, ...s } = await graph.summary();
      return { ...s, ...(report ? { report: { ...report } as Record<string, number> } : {}) };
    },
  );

  app.get(
    '/v1/network/nodes/:id/neighbours',
    {
      schema: {
        tags: ['network'],
        summary: 'Neighbours of a node along its edges',
        params: Type.Object({ id: Type.String({ description: 'node id, percent-encoded' }) }),
        querystring: Type.Object(
          {
            direction: Type.Optional(
              Type.Union([Type.Literal('out'), Type.Literal('in'), Type.Literal('both')], { description: 'default out' }),
            ),
            kind: Type.Optional(Type.Union([Type.Literal('contains'), Type.Literal('serves'), Type.Literal('lane')])),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'most neighbours returned (default 1000)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            node: NodeOut,
            total: Type.Integer(),
            neighbours: Type.Array(Type.Object({ node: NodeOut, edge: EdgeOut })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { direction, kind, limit } = request.query;
      const node = await graph.node(id);
      const all = await graph.neighbours(id, { ...(direction ? { direction } : {}), ...(kind ? { kind } : {}) });
      const take = limit === undefined ? 1000 : Number(limit);
      return {
        node: nodeOut(node),
        total: all.length,
        neighbours: all.slice(0, take).map((x) => ({ node: nodeOut(x.node), edge: edgeOut(x.edge) })),
      };
    },
  );

  app.get(
    '/v1/network/paths',
    {
      schema: {
        tags: ['network'],
        summary: 'Up to k loopless lane paths from one node to another, by mean time or a time quantile (seconds)',
        querystring: Type.Object(
          {
            from: Type.String({ minLength: 1 }),
            to: Type.String({ minLength: 1 }),
            k: Type.Optional(Type.String({ pattern: '^[1-9][0-9]?$', description: '1..99, default 3' })),
            quantile: Type.Optional(
              Type.String({
                pattern: '^(0(\\.[0-9]+)?|1(\\.0+)?)$',
                description: 'weigh lanes by this quantile of their times instead of the mean',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            k: Type.Integer(),
            weight: Type.String(),
            paths: Type.Array(
              Type.Object({
                nodes: Type.Array(Type.String()),
                edges: Type.Array(Type.String()),
                cost: Type.Number({ description: 'seconds' }),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const k = request.query.k === undefined ? 3 : Number(request.query.k);
      const q = request.query.quantile === undefined ? undefined : Number(request.query.quantile);
      const paths = await graph.kShortestPaths(from, to, k, { weight: q === undefined ? 'mean' : { quantile: q } });
      return { from, to, k, weight: q === undefined ? 'mean' : `p${Math.round(q * 100)}`, paths };
    },
  );

  app.get(
    '/v1/network/lanes/:from/:to',
    {
      schema: {
        tags: ['network'],
        summary: 'Statistics of one lane: count, mean and quantiles of its times, by local hour and weekday',
        params: Type.Object({ from: Type.String(), to: Type.String() }),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            count: Type.Integer(),
            timeBasis: Type.String(),
            meanSeconds: Num,
            quantiles: Type.Record(Type.String(), Num),
            meanMetres: Num,
            meanServiceSeconds: Num,
            byHour: Type.Array(Type.Object({ hour: Type.Integer(), count: Type.Integer(), medianSeconds: Num })),
            byWeekday: Type.Array(Type.Object({ weekday: Type.Integer(), count: Type.Integer(), medianSeconds: Num })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const s = await graph.laneStats(request.params.from, request.params.to);
      const quantiles: Record<string, number | null> = {};
      for (const [k, v] of Object.entries(s.quantiles)) quantiles[k] = fin(v);
      return {
        ...s,
        meanSeconds: fin(s.meanSeconds),
        quantiles,
        meanMetres: fin(s.meanMetres),
        meanServiceSeconds: fin(s.meanServiceSeconds),
        byHour: s.byHour.map((h) => ({ ...h, medianSeconds: fin(h.medianSeconds) })),
        byWeekday: s.byWeekday.map((d) => ({ ...d, medianSeconds: fin(d.medianSeconds) })),
      };
    },
  );

  app.get(
    '/v1/network/drift',
    {
      schema: {
        tags: ['network'],
        summary: 'Lanes whose recent times fall outside their history (recent median beyond the P5..P95 of older times)',
        response: {
          200: Type.Object({
            flags: Type.Array(
              Type.Object({
                edge: Type.String(),
                from: Type.String(),
                to: Type.String(),
                direction: Type.String(),
                historyCount: Type.Integer(),
                recentCount: Type.Integer(),
                historyLow: Type.Number(),
                historyHigh: Type.Number(),
                recentMedian: Type.Number(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async () => ({ flags: await graph.drift() }),
  );

  app.get(
    '/v1/network/export',
    {
      schema: {
        tags: ['network'],
        summary: 'The whole graph as GraphML, lossless JSON, or Neo4j import CSV (part=nodes|edges)',
        querystring: Type.Object(
          {
            format: Type.Union([Type.Literal('graphml'), Type.Literal('json'), Type.Literal('csv')]),
            part: Type.Optional(
              Type.Union([Type.Literal('nodes'), Type.Literal('edges')], { description: 'csv: which file (default nodes)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'format=graphml: GraphML; format=json: the waybill-network document; format=csv: the Neo4j import CSV of part',
            content: {
              'application/graphml+xml': { schema: Type.String() },
              'application/json': { schema: Type.Object({}, { additionalProperties: true, description: 'the waybill-network document' }) },
              'text/csv': { schema: Type.String() },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { format, part } = request.query;
      if (format === 'graphml') {
        reply.header('content-type', 'application/graphml+xml; charset=utf-8');
        return graph.export('graphml');
      }
      if (format === 'json') {
        // Pre-serialised: the document is large and NaN samples are already null.
        reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(await graph.export('json'));
      }
      const csv = await graph.export('csv');
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="waybill-network-${part ?? 'nodes'}.csv"`);
      return part === 'edges' ? csv.edges : csv.nodes;
    },
  );
};
