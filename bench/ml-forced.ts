import type { Engine } from '../src/engine.js';

/**
 * The engine's ml kernels with `backend` forced on train and predict (the others as they are), for
 * benches that run one evaluation per backend and check the backends agree.
 */
export function mlWithBackend(engine: Engine, backend: 'js' | 'native'): Engine['kernels']['ml'] {
  const ml = engine.kernels.ml;
  return {
    ...ml,
    train: (data, options) => ml.train(data, { ...options, backend }),
    predict: (model, features, numFeatures, options) => ml.predict(model, features, numFeatures, { ...options, backend }),
  };
}
