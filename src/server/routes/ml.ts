/**
 * Learning kernels over HTTP.
 *
 * POST /v1/ml/train: gradient-boosted trees (engine.kernels.ml.train) as a job. Features come as
 * rows (`[[x0, x1, ...], ...]`) or columns (`{ name: [values...] }`), null = missing; labels one
 * per row. Input is converted and checked before the job exists (bad input: 400 at once, with
 * the kernel's code and `details.field`); the answer is 202 with the job id and a Location
 * header. GET /v1/jobs/:id shows progress (`detail`: iteration, trainLoss, validLoss,
 * bestIteration) and, once done, the result: the model as versioned JSON (`waybill-gbdt`), the
 * loss per iteration, gain and split importance. DELETE /v1/jobs/:id stops training: the job ends
 * `cancelled` with the best model so far as its result (`metrics.stopReason: 'aborted'`).
 * `?wait=true` answers 200 with the result itself.
 *
 * POST /v1/ml/predict: a model JSON (`waybill-gbdt`, or a `waybill-mlp` artifact from
 * saveTabularMlp) and rows -> predictions, plus Saabas or TreeSHAP contributions for GBDT models on request.
 *
 * POST /v1/ml/uplift/train: an uplift model of a randomised test (engine.kernels.ml.trainUplift:
 * T-, S- or X-learner on GBDTs; `treatment` 0 = control, 1..K) as a job, checked before the job
 * exists; progress counts the base models; DELETE cancels (no partial model). The result is the
 * `waybill-uplift` JSON. POST /v1/ml/uplift/predict: that model and rows -> each treatment's
 * effect against control per row and the best arm.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine.js';
import { WaybillError } from '../../errors.js';
import type { GbdtDataset, GbdtModel, GbdtOptions } from '../../kernels/ml/gbdt.js';
import { GBDT_FORMAT, gbdtToJson } from '../../kernels/ml/gbdt-json.js';
import { validateGbdtTrain } from '../../kernels/ml/native.js';
import { OBJECTIVES, type ObjectiveName } from '../../kernels/ml/objectives.js';
import { checkUpliftTrain, loadUpliftModel, UPLIFT_FORMAT, UPLIFT_METHODS, upliftToJson } from '../../kernels/ml/uplift.js';
import { answerJob } from '../job-reply.js';
import { errorResponses } from '../schemas.js';

export interface MlRouteOptions {
  engine: Engine;
  /** Most feature values (rows x features, training and validation sets together) per request. */
  maxValues: number;
}

const Value = Type.Union([Type.Number(), Type.Null()]);
const Features = Type.Union([
  Type.Array(Type.Array(Value), { description: 'rows: one array of numFeatures values per row; null = missing' }),
  Type.Record(Type.String(), Type.Array(Value), {
    description: 'columns: feature name -> one value per row (null = missing); feature order = featureNames, else key order',
  }),
]);
const Labels = Type.Array(Value, { description: 'one per row; must be finite (null is rejected as NOT_FINITE)' });
const ObjectiveNameSchema = Type.Union(OBJECTIVES.map((o) => Type.Literal(o)));
const Objective = Type.Union(
  [
    ObjectiveNameSchema,
    Type.Object(
      {
        name: ObjectiveNameSchema,
        alpha: Type.Optional(Type.Number({ description: 'quantile level in (0, 1); quantile only, default 0.5' })),
        tweedieVariancePower: Type.Optional(Type.Number({ description: 'rho in (1, 2); tweedie only, default 1.5' })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'default l2' },
);

const TrainOptions = Type.Object(
  {
    numIterations: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'trees at most; default 100' })),
    learningRate: Type.Optional(Type.Number({ description: 'in (0, 1]; default 0.1' })),
    maxLeaves: Type.Optional(Type.Integer({ description: '>= 2; default 31' })),
    maxDepth: Type.Optional(Type.Integer({ description: '0 = no limit (default)' })),
    minDataInLeaf: Type.Optional(Type.Integer({ description: 'default 20' })),
    minSumHessianInLeaf: Type.Optional(Type.Number({ description: 'default 1e-3' })),
    lambdaL2: Type.Optional(Type.Number({ description: 'L2 regularisation of leaf values; default 0' })),
    minSplitGain: Type.Optional(Type.Number({ description: 'default 0' })),
    subsample: Type.Optional(Type.Number({ description: 'row sampling per tree in (0, 1]; default 1' })),
    colsample: Type.Optional(Type.Number({ description: 'feature sampling per tree in (0, 1]; default 1' })),
    maxBins: Type.Optional(Type.Integer({ description: '2..255; default 255' })),
    catSmooth: Type.Optional(Type.Number({ description: 'smoothing of the category order G / (H + catSmooth); default 10' })),
    minDataPerGroup: Type.Optional(
      Type.Integer({ description: 'categories with fewer rows in a leaf stay out of its partition splits (go right); default 100' }),
    ),
    maxCatThreshold: Type.Optional(Type.Integer({ description: 'most categories on the left side of a partition split; default 32' })),
    catL2: Type.Optional(Type.Number({ description: 'extra L2 in the gain of categorical partition splits; default 10' })),
    maxCatToOnehot: Type.Optional(
      Type.Integer({ description: 'leaves with at most this many categories try one-vs-rest splits; default 4, 0 = never' }),
    ),
    earlyStoppingRounds: Type.Optional(
      Type.Integer({ description: 'with valid: stop after this many iterations without improvement, keep the best; default 0 = off' }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, description: 'sampling seed; default 0' })),
    gradientRounding: Type.Optional(
      Type.Boolean({
        description: 'round gradients to a grid on which sums are exact (any thread count, the same trees); default true',
      }),
    ),
  },
  { additionalProperties: false },
);

const TrainBody = Type.Object(
  {
    features: Features,
    labels: Labels,
    featureNames: Type.Optional(
      Type.Array(Type.String(), {
        description: 'rows: a name per feature; columns: which columns, in which order (default: all, key order)',
      }),
    ),
    categoricalFeatures: Type.Optional(
      Type.Array(Type.Union([Type.Integer(), Type.String()]), {
        description: 'categorical features by index or name; their values are integer codes >= 0',
      }),
    ),
    objective: Type.Optional(Objective),
    options: Type.Optional(TrainOptions),
    valid: Type.Optional(
      Type.Object(
        { features: Features, labels: Labels },
        { additionalProperties: false, description: 'validation set: loss per iteration, early stopping, best model on cancel' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Loss = Type.Union([Type.Number(), Type.Null()]);
const GbdtModelBody = Type.Object(
  { format: Type.Literal(GBDT_FORMAT), formatVersion: Type.Integer() },
  { additionalProperties: true, description: 'the model, versioned JSON (src/kernels/ml/gbdt-json.ts); POST it to /v1/ml/predict' },
);

/** The job's result (and the 200 answer of ?wait=true). */
export const MlTrainResultBody = Type.Object(
  {
    model: GbdtModelBody,
    metrics: Type.Object({
      objective: Type.Record(Type.String(), Type.Unknown()),
      loss: Type.String({ description: 'what trainLoss / validLoss measure (mean over rows, lower is better)' }),
      iterations: Type.Integer({ description: 'trees trained' }),
      bestIteration: Type.Integer({ description: 'trees kept in the model' }),
      stopReason: Type.Union([Type.Literal('completed'), Type.Literal('early-stopping'), Type.Literal('aborted')]),
      trainLoss: Type.Array(Loss, { description: 'per iteration' }),
      validLoss: Type.Optional(Type.Array(Loss, { description: 'per iteration' })),
      bestTrainLoss: Loss,
      bestValidLoss: Type.Optional(Loss),
    }),
    importance: Type.Object({
      featureNames: Type.Array(Type.String()),
      gain: Type.Array(Type.Number(), { description: 'total split gain per feature (kept trees)' }),
      split: Type.Array(Type.Number(), { description: 'split count per feature (kept trees)' }),
    }),
    backend: Type.String(),
    timings: Type.Object({ totalMs: Type.Number() }),
  },
  { title: 'MlTrainResult' },
);

/** `?wait=true` of the training routes. */
const WaitQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: answer 200 with the result when training ends' }),
    ),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({
  id: Type.String(),
  state: Type.String(),
  links: Type.Object({ self: Type.String({ description: 'GET for progress and the model, DELETE to stop with the best model so far' }) }),
});

const PredictBody = Type.Object(
  {
    model: Type.Object(
      { format: Type.Union([Type.Literal('waybill-gbdt'), Type.Literal('waybill-mlp')]) },
      { additionalProperties: true, description: 'a waybill-gbdt model (from /v1/ml/train) or a waybill-mlp artifact' },
    ),
    features: Features,
    raw: Type.Optional(Type.Boolean({ description: 'GBDT: the raw score (margin) instead of the response scale' })),
    numIterations: Type.Optional(Type.Integer({ minimum: 1, description: 'GBDT: use the first trees only' })),
    contributions: Type.Optional(Type.Boolean({ description: 'GBDT: contributions per row (raw-score units)' })),
    contributionMethod: Type.Optional(
      Type.Union([Type.Literal('saabas'), Type.Literal('treeshap')], {
        description: "GBDT, with contributions: 'saabas' (default: path increments) or 'treeshap' (exact path-dependent Shapley values)",
      }),
    ),
  },
  { additionalProperties: false },
);

const PredictResponse = Type.Object({
  predictions: Type.Array(Loss, { description: 'one per row; null where not finite' }),
  contributions: Type.Optional(
    Type.Object({
      columns: Type.Array(Type.String(), { description: 'feature names, then bias' }),
      values: Type.Array(Type.Array(Loss), {
        description: 'rows x (numFeatures + 1); each row sums to the raw score; null where not finite',
      }),
      method: Type.Union([Type.Literal('saabas'), Type.Literal('treeshap')]),
    }),
  ),
  format: Type.String(),
  backend: Type.String(),
  timings: Type.Object({ totalMs: Type.Number() }),
});

const UpliftTrainBody = Type.Object(
  {
    features: Features,
    treatment: Type.Array(Type.Integer({ minimum: 0 }), {
      description: 'the arm each row received in the randomised test: 0 = control, 1..K = treatments (every arm needs rows)',
    }),
    outcome: Labels,
    featureNames: Type.Optional(
      Type.Array(Type.String(), {
        description: 'rows: a name per feature; columns: which columns, in which order (default: all, key order)',
      }),
    ),
    categoricalFeatures: Type.Optional(
      Type.Array(Type.Union([Type.Integer(), Type.String()]), {
        description: 'categorical features by index or name; their values are integer codes >= 0',
      }),
    ),
    method: Type.Optional(
      Type.Union(
        UPLIFT_METHODS.map((m) => Type.Literal(m)),
        { description: "'t-learner' (default), 's-learner' or 'x-learner'" },
      ),
    ),
    outcomeType: Type.Optional(
      Type.Union([Type.Literal('binary'), Type.Literal('continuous')], {
        description: 'binary (logistic base models; outcomes 0 / 1) or continuous (L2); default binary when every outcome is 0 or 1',
      }),
    ),
    propensity: Type.Optional(
      Type.Array(Type.Number(), { description: 'x-learner: the assignment probability of each arm (default the observed shares)' }),
    ),
    options: Type.Optional(TrainOptions),
  },
  { additionalProperties: false },
);

const UpliftModelBody = Type.Object(
  { format: Type.Literal(UPLIFT_FORMAT), formatVersion: Type.Integer() },
  {
    additionalProperties: true,
    description: 'the uplift model, versioned JSON (src/kernels/ml/uplift.ts); POST it to /v1/ml/uplift/predict',
  },
);

const UpliftTrainResultBody = Type.Object(
  {
    model: UpliftModelBody,
    method: Type.String(),
    outcome: Type.Union([Type.Literal('binary'), Type.Literal('continuous')]),
    arms: Type.Integer({ description: 'including control' }),
    armRows: Type.Array(Type.Integer(), { description: 'training rows of each arm' }),
    backend: Type.String({ description: 'the backend of the base GBDTs' }),
    timings: Type.Object({ totalMs: Type.Number() }),
  },
  { title: 'UpliftTrainResult' },
);

const UpliftPredictBody = Type.Object({ model: UpliftModelBody, features: Features }, { additionalProperties: false });

const UpliftPredictResponse = Type.Object({
  uplift: Type.Array(Type.Array(Loss), {
    description: "rows x K: each treatment's predicted effect on the outcome against control (null where not finite)",
  }),
  bestArm: Type.Array(Type.Integer(), { description: 'per row, the arm with the largest positive effect, 0 (control) when none' }),
  treatments: Type.Integer({ description: 'K' }),
  outcomes: Type.Optional(
    Type.Array(Type.Array(Loss), { description: 't- and s-learner: rows x (K + 1) predicted outcome under each arm' }),
  ),
  backend: Type.String(),
  timings: Type.Object({ totalMs: Type.Number() }),
});

type FeaturesIn = Array<Array<number | null>> | Record<string, Array<number | null>>;

/** Row-major Float64Array (null -> NaN) from rows or columns; names when columns or `order` give them. */
function toMatrix(
  field: string,
  features: FeaturesIn,
  order: readonly string[] | undefined,
  width: number | undefined,
): { values: Float64Array; numFeatures: number; rows: number; names?: string[] } {
  if (Array.isArray(features)) {
    const p = width ?? features[0]?.length ?? order?.length ?? 0;
    const values = new Float64Array(features.length * p);
    features.forEach((row, i) => {
      if (row.length !== p)
        throw new WaybillError('INVALID_LENGTH', `${field}[${i}] has ${row.length} values, expected ${p} (one per feature)`, {
          field: `${field}[${i}]`,
          expected: p,
          actual: row.length,
        });
      for (let f = 0; f < p; f++) values[i * p + f] = row[f] ?? Number.NaN;
    });
    return { values, numFeatures: p, rows: features.length, ...(order ? { names: [...order] } : {}) };
  }
  const names = order ? [...order] : Object.keys(features);
  for (const name of Object.keys(features))
    if (!names.includes(name))
      throw new WaybillError('INVALID_ARGUMENT', `${field} has a column ${JSON.stringify(name)} that is not a feature of the model`, {
        field: `${field}.${name}`,
      });
  if (width !== undefined && names.length !== width)
    throw new WaybillError('INVALID_LENGTH', `${field} has ${names.length} columns, expected ${width}`, {
      field,
      expected: width,
      actual: names.length,
    });
  const columns = names.map((name) => {
    const c = features[name];
    if (c === undefined)
      throw new WaybillError('INVALID_ARGUMENT', `${field} lacks the column ${JSON.stringify(name)}`, { field: `${field}.${name}` });
    return c;
  });
  const n = columns[0]?.length ?? 0;
  const p = names.length;
  const values = new Float64Array(n * p);
  columns.forEach((c, f) => {
    if (c.length !== n)
      throw new WaybillError('INVALID_LENGTH', `${field}.${names[f]} has ${c.length} values, column ${names[0]} has ${n}`, {
        field: `${field}.${names[f]}`,
        expected: n,
        actual: c.length,
      });
    for (let i = 0; i < n; i++) values[i * p + f] = c[i] ?? Number.NaN;
  });
  return { values, numFeatures: p, rows: n, names };
}

/**
 * The training features of a request as a matrix with their names (rows with featureNames, or
 * columns), and its categorical features as indices (given by index or name). Errors name the field.
 */
function trainingMatrix(b: { features: FeaturesIn; featureNames?: string[]; categoricalFeatures?: Array<number | string> }) {
  if (b.featureNames && !Array.isArray(b.features) && new Set(b.featureNames).size !== b.featureNames.length)
    throw new WaybillError('INVALID_ARGUMENT', 'featureNames repeats a name', { field: 'featureNames' });
  const x = toMatrix('features', b.features, b.featureNames, undefined);
  if (x.rows === 0) throw new WaybillError('INVALID_ARGUMENT', 'features has zero rows', { field: 'features', rows: 0 });
  if (x.names && x.names.length !== x.numFeatures)
    throw new WaybillError('INVALID_LENGTH', `featureNames lists ${x.names.length} names for ${x.numFeatures} features`, {
      field: 'featureNames',
      expected: x.numFeatures,
      actual: x.names.length,
    });
  const categoricalFeatures = (b.categoricalFeatures ?? []).map((c, i) => {
    if (typeof c === 'number') return c;
    const f = x.names?.indexOf(c) ?? -1;
    if (f < 0)
      throw new WaybillError('INVALID_ARGUMENT', `categoricalFeatures[${i}] = ${JSON.stringify(c)} is not a feature name`, {
        field: 'categoricalFeatures',
        index: i,
      });
    return f;
  });
  return { x, categoricalFeatures };
}

/** Values sent (rows x features), counted before anything is allocated. */
const valueCount = (features: FeaturesIn) => Object.values(features).reduce((sum, v) => sum + v.length, 0);
const toLabels = (labels: Array<number | null>) => Float64Array.from(labels, (v) => v ?? Number.NaN);
const finiteOrNull = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

const LOSS_NAMES: Record<ObjectiveName, string> = {
  l2: 'mean squared error',
  l1: 'mean absolute error',
  quantile: 'mean pinball loss',
  logistic: 'mean log loss',
  poisson: 'mean Poisson deviance',
  tweedie: 'mean Tweedie deviance',
};

export const mlRoutes: FastifyPluginAsyncTypebox<MlRouteOptions> = async (app, { engine, maxValues }) => {
  const checkSize = (values: number) => {
    if (values > maxValues)
      throw new WaybillError('TOO_LARGE', `${values} feature values exceed the limit of ${maxValues} per request`, { limit: maxValues });
  };

  app.post(
    '/v1/ml/train',
    {
      schema: {
        tags: ['ml'],
        summary: 'Train gradient-boosted trees (l2, l1, quantile, logistic, poisson, tweedie) as a job',
        description:
          'Answers 202 with the job id and a Location header; GET /v1/jobs/{id} shows progress (detail: iteration, trainLoss, ' +
          'validLoss, bestIteration) and, once succeeded, the model JSON, losses and importance as result. DELETE /v1/jobs/{id} ' +
          'stops training: the job ends cancelled with the best model so far as result. With ?wait=true the answer is 200 with the result.',
        querystring: WaitQuery,
        body: TrainBody,
        response: { 200: MlTrainResultBody, 202: Accepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body;
      checkSize(valueCount(b.features) + (b.valid ? valueCount(b.valid.features) : 0));
      const { x, categoricalFeatures } = trainingMatrix(b);
      const train: GbdtDataset = { features: x.values, numFeatures: x.numFeatures, labels: toLabels(b.labels) };
      const options: GbdtOptions = {
        ...(b.options ?? {}),
        objective: b.objective ?? 'l2',
        categoricalFeatures,
        ...(x.names ? { featureNames: x.names } : {}),
      };
      if (b.valid) {
        if (!Array.isArray(b.valid.features) && !x.names)
          throw new WaybillError('INVALID_ARGUMENT', 'valid.features has columns but the training features have no names: send rows', {
            field: 'valid.features',
          });
        const v = toMatrix('valid.features', b.valid.features, x.names, x.numFeatures);
        options.valid = { features: v.values, numFeatures: v.numFeatures, labels: toLabels(b.valid.labels) };
      }
      // Every check of the trainer (labels, objective domain, parameters, categorical codes) now, as a 400.
      const { params, objective } = validateGbdtTrain(train, options);
      const numIterations = params.numIterations;
      const featureNames = x.names ?? Array.from({ length: x.numFeatures }, (_, f) => `f${f}`);
      const job = await engine.jobs.submit(
        'ml-train',
        async (control) => {
          const out = await engine.kernels.ml.train(train, {
            ...options,
            signal: control.signal,
            onProgress: (p) =>
              control.progress(p.iteration / numIterations, {
                iteration: p.iteration,
                trainLoss: Number.isFinite(p.trainLoss) ? p.trainLoss : null,
                ...(p.validLoss !== undefined ? { validLoss: Number.isFinite(p.validLoss) ? p.validLoss : null } : {}),
                bestIteration: p.bestIteration,
              }),
          });
          const [gain, split] = await Promise.all([
            engine.kernels.ml.importance(out.model, { type: 'gain' }),
            engine.kernels.ml.importance(out.model, { type: 'split' }),
          ]);
          const best = Math.max(0, out.bestIteration - 1);
          return {
            model: gbdtToJson(out.model),
            metrics: {
              objective: { ...out.model.objective },
              loss: LOSS_NAMES[out.model.objective.name],
              iterations: out.iterations,
              bestIteration: out.bestIteration,
              stopReason: out.stopReason,
              trainLoss: finiteOrNull(out.trainLoss),
              ...(out.validLoss ? { validLoss: finiteOrNull(out.validLoss) } : {}),
              bestTrainLoss: finiteOrNull(out.trainLoss.subarray(best, best + 1))[0] ?? null,
              ...(out.validLoss ? { bestValidLoss: finiteOrNull(out.validLoss.subarray(best, best + 1))[0] ?? null } : {}),
            },
            importance: { featureNames, gain: Array.from(gain.importance), split: Array.from(split.importance) },
            backend: out.backend,
            timings: out.timings,
          };
        },
        {
          rows: x.rows,
          numFeatures: x.numFeatures,
          ...(options.valid ? { validRows: options.valid.labels.length } : {}),
          objective: objective.spec,
          numIterations,
        },
      );
      return (await answerJob(engine, reply, job, request.query.wait === 'true')) as never;
    },
  );

  app.post(
    '/v1/ml/predict',
    {
      schema: {
        tags: ['ml'],
        summary: 'Predict with a GBDT model JSON (optionally with Saabas contributions) or a tabular MLP artifact',
        body: PredictBody,
        response: { 200: PredictResponse, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const t0 = performance.now();
      checkSize(valueCount(b.features));
      if (b.model.format === 'waybill-mlp') {
        for (const field of ['raw', 'numIterations', 'contributions', 'contributionMethod'] as const)
          if (b[field] !== undefined && b[field] !== false)
            throw new WaybillError('KERNEL_UNSUPPORTED', `${field} applies to GBDT models only`, { field });
        const { model } = await engine.kernels.ml.loadMlp(b.model);
        try {
          const x = toMatrix('features', b.features, Array.isArray(b.features) ? undefined : model.featureNames, model.numFeatures);
          const out = await engine.kernels.ml.predictMlp(model, x.values, x.numFeatures);
          return {
            predictions: finiteOrNull(out.predictions),
            format: b.model.format,
            backend: out.backend,
            timings: { totalMs: performance.now() - t0 },
          };
        } finally {
          model.network.dispose();
        }
      }
      if (b.contributionMethod !== undefined && !b.contributions)
        throw new WaybillError('INVALID_ARGUMENT', 'contributionMethod needs contributions: true', { field: 'contributionMethod' });
      const model: GbdtModel = (await engine.kernels.ml.load(b.model)).model;
      const x = toMatrix('features', b.features, Array.isArray(b.features) ? undefined : model.featureNames, model.numFeatures);
      const iterations = b.numIterations !== undefined ? { numIterations: b.numIterations } : {};
      const out = await engine.kernels.ml.predict(model, x.values, x.numFeatures, { ...iterations, ...(b.raw ? { raw: true } : {}) });
      let contributions: { columns: string[]; values: Array<Array<number | null>>; method: 'saabas' | 'treeshap' } | undefined;
      if (b.contributions) {
        const c = await engine.kernels.ml.contributions(model, x.values, x.numFeatures, {
          ...iterations,
          ...(b.contributionMethod ? { method: b.contributionMethod } : {}),
        });
        const names = model.featureNames ?? Array.from({ length: model.numFeatures }, (_, f) => `f${f}`);
        contributions = {
          columns: [...names, 'bias'],
          values: Array.from({ length: x.rows }, (_, i) => finiteOrNull(c.contributions.subarray(i * c.columns, (i + 1) * c.columns))),
          method: c.method,
        };
      }
      return {
        predictions: finiteOrNull(out.predictions),
        ...(contributions ? { contributions } : {}),
        format: GBDT_FORMAT,
        backend: out.backend,
        timings: { totalMs: performance.now() - t0 },
      };
    },
  );

  app.post(
    '/v1/ml/uplift/train',
    {
      schema: {
        tags: ['ml'],
        summary: 'Train an uplift model (T-, S- or X-learner on GBDTs) of a randomised test as a job',
        description:
          'treatment: 0 = control, 1..K = treatments. Answers 202 with the job id and a Location header; GET /v1/jobs/{id} shows ' +
          'progress (detail: done and total base models, stage) and, once succeeded, the waybill-uplift model JSON as result. ' +
          'DELETE /v1/jobs/{id} cancels (no partial model). With ?wait=true the answer is 200 with the result.',
        querystring: WaitQuery,
        body: UpliftTrainBody,
        response: { 200: UpliftTrainResultBody, 202: Accepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body;
      checkSize(valueCount(b.features));
      const { x, categoricalFeatures } = trainingMatrix(b);
      const data = { features: x.values, numFeatures: x.numFeatures, treatment: b.treatment, outcome: toLabels(b.outcome) };
      const options = {
        ...(b.method ? { method: b.method } : {}),
        ...(b.outcomeType ? { outcome: b.outcomeType } : {}),
        ...(b.propensity ? { propensity: b.propensity } : {}),
        gbdt: { ...(b.options ?? {}), categoricalFeatures, ...(x.names ? { featureNames: x.names } : {}) },
      };
      // Every check (arms, outcomes, options, the base GBDTs' parameters and categorical codes) now, as a 400.
      const checked = checkUpliftTrain(data, options, (train, o) => {
        validateGbdtTrain(train, o);
      });
      const job = await engine.jobs.submit(
        'ml-uplift-train',
        async (control) => {
          const out = await engine.kernels.ml.trainUplift(data, {
            ...options,
            signal: control.signal,
            onProgress: (p) => control.progress(p.done / p.total, { done: p.done, total: p.total, stage: p.stage }),
          });
          return {
            model: upliftToJson(out.model),
            method: out.model.method,
            outcome: out.model.outcome,
            arms: out.model.arms,
            armRows: out.model.armRows,
            backend: out.backend,
            timings: out.timings,
          };
        },
        { rows: x.rows, numFeatures: x.numFeatures, arms: checked.arms, method: checked.method, outcome: checked.outcome },
      );
      return (await answerJob(engine, reply, job, request.query.wait === 'true')) as never;
    },
  );

  app.post(
    '/v1/ml/uplift/predict',
    {
      schema: {
        tags: ['ml'],
        summary: "Each treatment's predicted effect against control, and the best arm, per row (a waybill-uplift model)",
        body: UpliftPredictBody,
        response: { 200: UpliftPredictResponse, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const t0 = performance.now();
      checkSize(valueCount(b.features));
      const model = loadUpliftModel(b.model);
      const x = toMatrix('features', b.features, Array.isArray(b.features) ? undefined : model.featureNames, model.numFeatures);
      const out = await engine.kernels.ml.predictUplift(model, x.values, x.numFeatures);
      const rowsOf = (a: Float64Array, w: number) => Array.from({ length: x.rows }, (_, i) => finiteOrNull(a.subarray(i * w, (i + 1) * w)));
      return {
        uplift: rowsOf(out.uplift, out.treatments),
        bestArm: Array.from(out.bestArm),
        treatments: out.treatments,
        ...(out.outcomes ? { outcomes: rowsOf(out.outcomes, out.treatments + 1) } : {}),
        backend: out.backend,
        timings: { totalMs: performance.now() - t0 },
      };
    },
  );
};
