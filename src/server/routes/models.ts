/**
 * Model-serving routes in the KServe v2 shape: list and describe models and versions, readiness,
 * and inference with named tensors or, for convenience, plain JSON instances.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { toWaybillError, WaybillError } from '../../errors.js';
import type { ModelVersionInfo } from '../../plugins/registry.js';
import { DATATYPES, type Datatype, instancesToTensors, type Tensor, tensorsToInstances } from '../../plugins/tensors.js';
import { errorResponses } from '../schemas.js';

const ModelInfo = Type.Object(
  {
    name: Type.String(),
    version: Type.String(),
    state: Type.Union([Type.Literal('loading'), Type.Literal('ready'), Type.Literal('failed'), Type.Literal('unloading')]),
    reason: Type.Optional(Type.String({ description: 'why the model version failed' })),
    isDefault: Type.Boolean(),
    description: Type.Optional(Type.String()),
    kernels: Type.Optional(Type.Array(Type.String())),
    inputSchema: Type.Optional(Type.Unknown()),
    outputSchema: Type.Optional(Type.Unknown()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    source: Type.String(),
    loadMs: Type.Optional(Type.Number()),
    warmupMs: Type.Optional(Type.Number()),
    batching: Type.Optional(Type.Object({ maxBatchSize: Type.Integer(), maxWaitMs: Type.Number() })),
    trainable: Type.Optional(Type.Boolean()),
    backends: Type.Optional(Type.Array(Type.String(), { description: 'backends that served this version so far' })),
    runner: Type.Optional(
      Type.Object({
        inFlight: Type.Integer(),
        timedOut: Type.Integer(),
        queued: Type.Integer(),
        maxConcurrency: Type.Integer(),
        maxQueue: Type.Integer(),
      }),
    ),
    requests: Type.Integer(),
    failures: Type.Integer(),
  },
  { additionalProperties: true },
);

const TensorMeta = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });

/** KServe v2 model metadata plus Waybill's version details. */
const ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  default_version: Type.Union([Type.String(), Type.Null()]),
  inputs: Type.Array(TensorMeta),
  outputs: Type.Array(TensorMeta),
  details: Type.Array(ModelInfo),
});

const TensorBody = Type.Object({
  name: Type.String({ minLength: 1 }),
  datatype: Type.Union(DATATYPES.map((d) => Type.Literal(d))),
  shape: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }),
  data: Type.Array(Type.Unknown()),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const InferBody = Type.Union([
  Type.Object(
    {
      id: Type.Optional(Type.String()),
      parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      inputs: Type.Array(TensorBody, { minItems: 1 }),
      outputs: Type.Optional(
        Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
      ),
    },
    { additionalProperties: false, title: 'KServe v2 request' },
  ),
  Type.Object(
    {
      id: Type.Optional(Type.String()),
      instances: Type.Array(Type.Unknown(), {
        minItems: 1,
        description: 'one plain JSON object per instance, as in the model input schema',
      }),
    },
    { additionalProperties: false, title: 'plain JSON request' },
  ),
]);

const InferResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.Optional(Type.String()),
  outputs: Type.Optional(
    Type.Array(
      Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()), data: Type.Array(Type.Unknown()) }),
    ),
  ),
  predictions: Type.Optional(Type.Array(Type.Unknown())),
  parameters: Type.Object({ queue_ms: Type.Number(), compute_ms: Type.Number(), batch_size: Type.Integer() }),
});

const NameParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.String() });

interface PropSchema {
  type?: string;
  items?: unknown;
  anyOf?: PropSchema[];
  oneOf?: PropSchema[];
}

/** The JSON type of a property: its `type`, or the one type of all its anyOf / oneOf branches (a union of string literals is a string). */
function jsonType(p: PropSchema): string | undefined {
  if (p.type !== undefined) return p.type;
  const branches = p.anyOf ?? p.oneOf;
  const types = new Set(branches?.map(jsonType));
  return types.size === 1 ? [...types][0] : undefined;
}

/** Tensor metadata of an object schema's properties: scalar -> [-1], array -> [-1, -1]. */
function tensorMeta(schema: unknown): Array<{ name: string; datatype: string; shape: number[] }> {
  const props = (schema as { properties?: Record<string, PropSchema> })?.properties ?? {};
  return Object.entries(props).map(([name, p]) => {
    const t = jsonType(p);
    const datatype: Datatype = t === 'integer' ? 'INT64' : t === 'boolean' ? 'BOOL' : t === 'string' ? 'BYTES' : 'FP64';
    return { name, datatype, shape: t === 'array' ? [-1, -1] : [-1] };
  });
}

function integerProps(schema: unknown): Set<string> {
  const props = (schema as { properties?: Record<string, { type?: string }> })?.properties ?? {};
  return new Set(
    Object.entries(props)
      .filter(([, p]) => p.type === 'integer')
      .map(([n]) => n),
  );
}

function metadata(engine: Engine, name: string, version?: string) {
  const all = engine.plugins.versions(name);
  const details = version ? [engine.plugins.get(name, version)] : all;
  const main: ModelVersionInfo | undefined = details.find((d) => d.isDefault) ?? details.at(-1);
  return {
    name,
    versions: all.map((v) => v.version),
    platform: 'waybill',
    default_version: engine.plugins.defaultVersion(name) ?? null,
    inputs: tensorMeta(main?.inputSchema),
    outputs: tensorMeta(main?.outputSchema),
    details,
  };
}

export interface ModelRouteOptions {
  engine: Engine;
}

/**
 * Runs `engine.plugins.infer` and records the outcome in the inference metrics (failures too, by
 * error code, when the model exists). Shared by the KServe routes and the domain routes (/v1/eta).
 */
export async function observedInfer(
  app: FastifyInstance,
  engine: Engine,
  name: string,
  version: string | undefined,
  instances: unknown[],
): Promise<Awaited<ReturnType<Engine['plugins']['infer']>>> {
  let r: Awaited<ReturnType<Engine['plugins']['infer']>>;
  try {
    r = await engine.plugins.infer(name, version, instances);
  } catch (err) {
    const e = toWaybillError(err);
    const m = (() => {
      try {
        return engine.plugins.get(name, version);
      } catch {
        return undefined;
      }
    })();
    if (m)
      app.observeInference({
        name: m.name,
        version: m.version,
        queueMs: 0,
        computeMs: 0,
        ok: false,
        batchSize: Array.isArray(instances) ? instances.length : 0,
        outcome: e.code.toLowerCase(),
      });
    throw e;
  }
  app.observeInference({ ...r, ok: true });
  return r;
}

export const modelRoutes: FastifyPluginAsyncTypebox<ModelRouteOptions> = async (app, { engine }) => {
  app.get(
    '/v2/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Every model version with its state (failed ones with the reason)',
        response: { 200: Type.Object({ models: Type.Array(ModelInfo) }) },
      },
    },
    async () => ({ models: engine.plugins.list() }),
  );

  app.get(
    '/v2/models/:name',
    {
      schema: {
        tags: ['models'],
        summary: 'Model metadata (KServe v2) and all its versions',
        params: NameParams,
        response: { 200: ModelMetadata, 404: errorResponses[400] },
      },
    },
    async (request) => metadata(engine, request.params.name),
  );

  app.get(
    '/v2/models/:name/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: 'Metadata of one model version',
        params: VersionParams,
        response: { 200: ModelMetadata, 404: errorResponses[400] },
      },
    },
    async (request) => metadata(engine, request.params.name, request.params.version),
  );

  const readyResponse = Type.Object({
    name: Type.String(),
    version: Type.String(),
    ready: Type.Boolean(),
    state: Type.String(),
    reason: Type.Optional(Type.String()),
  });
  const ready = (name: string, version: string | undefined) => {
    const m = engine.plugins.get(name, version);
    if (m.state !== 'ready') {
      throw new WaybillError('MODEL_NOT_READY', `model ${m.name}@${m.version} is ${m.state}${m.reason ? `: ${m.reason}` : ''}`, {
        state: m.state,
        ...(m.reason ? { reason: m.reason } : {}),
      });
    }
    return { name: m.name, version: m.version, ready: true, state: m.state };
  };
  app.get(
    '/v2/models/:name/ready',
    {
      schema: {
        tags: ['models'],
        summary: '200 when the default version is ready, 503 otherwise',
        params: NameParams,
        response: { 200: readyResponse, ...errorResponses, 404: errorResponses[400] },
      },
    },
    async (request) => ready(request.params.name, undefined),
  );
  app.get(
    '/v2/models/:name/versions/:version/ready',
    {
      schema: {
        tags: ['models'],
        summary: '200 when this version is ready, 503 otherwise',
        params: VersionParams,
        response: { 200: readyResponse, ...errorResponses, 404: errorResponses[400] },
      },
    },
    async (request) => ready(request.params.name, request.params.version),
  );

  const infer = async (name: string, version: string | undefined, body: unknown): Promise<Static<typeof InferResponse>> => {
    const b = body as { id?: string; inputs?: Tensor[]; outputs?: Array<{ name: string }>; instances?: unknown[] };
    const tensors = b.inputs !== undefined;
    const instances = tensors ? tensorsToInstances(b.inputs as Tensor[]) : (b.instances as unknown[]);
    const r = await observedInfer(app, engine, name, version, instances);
    const out: Static<typeof InferResponse> = {
      model_name: r.name,
      model_version: r.version,
      parameters: { queue_ms: r.queueMs, compute_ms: r.computeMs, batch_size: r.batchSize },
    };
    if (b.id !== undefined) out.id = b.id;
    if (tensors) {
      const schema = engine.plugins.get(r.name, r.version).outputSchema;
      out.outputs = instancesToTensors(
        r.outputs as Record<string, unknown>[],
        integerProps(schema),
        b.outputs?.map((o) => o.name),
      );
    } else {
      out.predictions = r.outputs;
    }
    return out;
  };

  const inferDoc = {
    tags: ['models'],
    description:
      'Body: a KServe v2 request `{ inputs: [{ name, datatype, shape, data }] }` (one tensor per input property, first dimension = batch) or `{ instances: [{...}] }`. The answer uses the same form.',
    body: InferBody,
    response: { 200: InferResponse, ...errorResponses, 404: errorResponses[400], 504: errorResponses[500] },
  };

  app.post(
    '/v2/models/:name/infer',
    { schema: { ...inferDoc, summary: 'Inference on the default version', params: NameParams } },
    async (request) => infer(request.params.name, undefined, request.body),
  );
  app.post(
    '/v2/models/:name/versions/:version/infer',
    { schema: { ...inferDoc, summary: 'Inference on one version', params: VersionParams } },
    async (request) => infer(request.params.name, request.params.version, request.body),
  );
};
