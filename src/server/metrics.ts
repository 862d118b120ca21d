/**
 * GET /metrics in Prometheus text format (prom-client): HTTP requests and latency by route and
 * status, queue wait vs compute time per model version and per kernel backend, pool and model
 * queues, jobs by state. One registry per server, so tests and embedders never share counters.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';
import type { Engine } from '../engine.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsOptions {
  engine: Engine;
}

async function metricsPlugin(app: FastifyInstance, { engine }: MetricsOptions): Promise<void> {
  const registry = new client.Registry();
  const registers = [registry];
  client.collectDefaultMetrics({ register: registry, prefix: 'waybill_process_' });

  const requests = new client.Counter({
    name: 'waybill_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const latency = new client.Histogram({
    name: 'waybill_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const modelQueue = new client.Histogram({
    name: 'waybill_model_queue_wait_seconds',
    help: 'Time an inference request waited for its model (queue and batching window)',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const modelCompute = new client.Histogram({
    name: 'waybill_model_compute_seconds',
    help: 'Duration of the predict() call that served a request',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const modelRequests = new client.Counter({
    name: 'waybill_model_requests_total',
    help: 'Inference requests by model version and outcome',
    labelNames: ['model', 'version', 'outcome'],
    registers,
  });
  const batchSize = new client.Histogram({
    name: 'waybill_model_batch_size',
    help: 'Instances per predict() call (dynamic batching merges requests)',
    labelNames: ['model', 'version'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers,
  });
  const kernelCompute = new client.Histogram({
    name: 'waybill_kernel_compute_seconds',
    help: 'Kernel compute time by kernel and backend (summed over row blocks)',
    labelNames: ['kernel', 'backend'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const kernelQueue = new client.Histogram({
    name: 'waybill_kernel_queue_wait_seconds',
    help: "Longest wait of a kernel call's row blocks in the pool queue",
    labelNames: ['kernel', 'backend'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const kernelCalls = new client.Counter({
    name: 'waybill_kernel_calls_total',
    help: 'Kernel calls by kernel, backend and pool workers used',
    labelNames: ['kernel', 'backend', 'workers'],
    registers,
  });

  new client.Gauge({
    name: 'waybill_pool_workers',
    help: 'Worker threads of the engine pool',
    registers,
    collect() {
      this.set(engine.pool().workers);
    },
  });
  new client.Gauge({
    name: 'waybill_pool_queued_blocks',
    help: 'Row blocks waiting in the pool queue',
    registers,
    collect() {
      this.set(engine.pool().queued);
    },
  });
  new client.Gauge({
    name: 'waybill_pool_utilization',
    help: 'Pool utilisation reported by Piscina (0..1)',
    registers,
    collect() {
      this.set(engine.pool().utilization);
    },
  });
  new client.Gauge({
    name: 'waybill_model_inflight',
    help: 'predict() calls running, by model version',
    labelNames: ['model', 'version'],
    registers,
    collect() {
      this.reset();
      for (const m of engine.plugins.list()) if (m.runner) this.set({ model: m.name, version: m.version }, m.runner.inFlight);
    },
  });
  new client.Gauge({
    name: 'waybill_model_queued',
    help: 'Inference requests waiting, by model version',
    labelNames: ['model', 'version'],
    registers,
    collect() {
      this.reset();
      for (const m of engine.plugins.list()) if (m.runner) this.set({ model: m.name, version: m.version }, m.runner.queued);
    },
  });
  new client.Gauge({
    name: 'waybill_jobs',
    help: 'Jobs by state (finished states count every job since start)',
    labelNames: ['state'],
    registers,
    collect() {
      for (const [state, n] of Object.entries(engine.jobs.stateCounts())) this.set({ state }, n);
    },
  });

  const unsubscribe = engine.onKernelRun((e) => {
    kernelCompute.observe({ kernel: e.kernel, backend: e.backend }, e.timings.computeMs / 1000);
    kernelQueue.observe({ kernel: e.kernel, backend: e.backend }, e.timings.queueMs / 1000);
    kernelCalls.inc({ kernel: e.kernel, backend: e.backend, workers: String(e.workers) });
  });
  app.addHook('onClose', async () => unsubscribe());

  app.decorate(
    'observeInference',
    (e: { name: string; version: string; queueMs: number; computeMs: number; ok: boolean; batchSize: number; outcome?: string }) => {
      const labels = { model: e.name, version: e.version };
      modelRequests.inc({ ...labels, outcome: e.outcome ?? (e.ok ? 'ok' : 'error') });
      if (e.ok) {
        modelQueue.observe(labels, e.queueMs / 1000);
        modelCompute.observe(labels, e.computeMs / 1000);
        batchSize.observe(labels, e.batchSize);
      }
    },
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Prometheus text exposition: requests, latency, queue wait vs compute, batches, pool, jobs',
        response: {
          200: {
            description: 'Prometheus text format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    observeInference(e: {
      name: string;
      version: string;
      queueMs: number;
      computeMs: number;
      ok: boolean;
      batchSize: number;
      outcome?: string;
    }): void;
  }
}

export default fp(metricsPlugin, { name: 'waybill-metrics' });
