/**
 * OpenAPI document and UI: generated from the route schemas (never written by hand), served as
 * JSON at /docs/json and as Swagger UI at /docs. Registered before the routes so it sees them all.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VERSION } from '../version.js';

async function docsPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Waybill API', version: VERSION, description: 'Native-accelerated compute engine for e-commerce supply chains.' },
      tags: [
        { name: 'health', description: 'liveness and readiness' },
        { name: 'models', description: 'model metadata and inference (KServe v2)' },
        { name: 'jobs', description: 'long work with progress and cancellation' },
        { name: 'admin', description: 'load and unload models (API key, or localhost only)' },
        { name: 'geo', description: 'distance matrices and nearest neighbours' },
        { name: 'or', description: 'assignment, budget allocation, min-cost flow, TSP, LP/MIP, vehicle routing' },
        { name: 'timeseries', description: 'forecasts with prediction intervals' },
        { name: 'trajectory', description: 'trajectory similarity, simplification, stay points, stop-sequence and next-pickup prediction' },
        { name: 'network', description: 'the delivery network graph: neighbours, k-shortest paths, lanes, drift, export' },
        { name: 'ml', description: 'gradient-boosted trees: training as a job, prediction' },
        { name: 'eta', description: 'pickup ETA (median and P90) and late risk (the eta model)' },
        { name: 'merchants', description: 'merchant churn risk, value tier, growth and revenue at risk (the merchant model)' },
        { name: 'demand', description: 'demand forecasts and order-up-to levels (the demand model)' },
        { name: 'pricing', description: 'incentive allocation under a budget by predicted uplift (the pricing model)' },
        { name: 'metrics', description: 'Prometheus metrics' },
      ],
    },
    // Shared schemas appear under their own $id (components.schemas.ErrorBody), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/** Swagger (OpenAPI 3) generated from the route schemas, with its UI at /docs. */
export default fp(docsPlugin, { name: 'waybill-docs' });
