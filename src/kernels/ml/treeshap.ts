/**
 * TreeSHAP (path-dependent) contributions of one row to one tree: the exact Shapley values of the
 * features when the value of a coalition S is the tree's expected output given the features in S,
 * the others integrated out along the tree with its training covers (a split on a feature outside
 * S averages its children weighted by the rows that reached them: internalCount / leafCount). The
 * polynomial algorithm of Lundberg, Erion and Lee, "Consistent individualized feature attribution
 * for tree ensembles" (2018, Algorithm 2), written from the paper: one recursion over the tree that
 * keeps, for the path of distinct features from the root, each feature's "zero" fraction (the
 * share of covers its splits keep when it is left out), its "one" fraction (1 when the row
 * follows its splits, 0 otherwise) and the permutation weights of the path's subsets.
 *
 * The values of a row over all trees sum, with the bias (the model's initScore plus every tree's
 * cover-weighted mean leaf, the same bias as Saabas), to its raw prediction (up to rounding).
 * Unlike Saabas, they do not depend on the order of the splits on the path, and a feature that no
 * split on the row's path uses can still get a value through the splits it would have changed.
 * Missing values follow the default direction, categories their split's set, as prediction does.
 * Cost per row and tree: O(leaves x depth^2).
 */
import { WaybillError } from '../../errors.js';
import { type GbdtTree, goesLeft } from './gbdt-tree.js';

/** The depth of a tree: the most splits on a root-to-leaf path (0 for a single leaf). */
export function treeDepth(tree: GbdtTree): number {
  if (tree.numLeaves === 1) return 0;
  const depth = new Int32Array(tree.numLeaves - 1);
  let most = 0;
  // Children have larger indices than their parent: one pass in index order sets every depth.
  for (let i = 0; i < tree.numLeaves - 1; i++) {
    const below = (depth[i] as number) + 1;
    most = Math.max(most, below);
    for (const c of [tree.leftChild[i] as number, tree.rightChild[i] as number]) if (c >= 0) depth[c] = below;
  }
  return most;
}

/**
 * Scratch for {@link TreeShap.add}: recursion level k keeps its path in slots [k cap, k cap + cap)
 * of four parallel arrays (feature, zero fraction, one fraction, weight).
 */
/**
 * Checks that the first k trees have positive node counts wherever they split (TreeSHAP divides
 * by them), with the error the recursion gives: up front, so that the js and native backends
 * refuse the same models, zero rows included (the native core checked up front and without a
 * field, the recursion only on the rows it visited).
 */
export function checkTreeShapCounts(trees: readonly GbdtTree[], k: number): void {
  for (let t = 0; t < k; t++) {
    const tree = trees[t] as GbdtTree;
    if (tree.numLeaves < 2) continue;
    if (!tree.internalCount.every((c) => c > 0) || !tree.leafCount.every((c) => c > 0))
      throw new WaybillError('INVALID_ARGUMENT', 'TreeSHAP needs positive node counts (internalCount / leafCount) in every tree', {
        field: 'model.trees',
        tree: t,
      });
  }
}

export class TreeShap {
  private readonly cap: number;
  private readonly d: Int32Array;
  private readonly z: Float64Array;
  private readonly o: Float64Array;
  private readonly w: Float64Array;
  /** inv[k] = 1 / k: the loops multiply by reciprocals (and by products of them computed off the
   * loop's dependency chain) instead of dividing, which made them wait on division latency. */
  private readonly inv: Float64Array;
  private tree!: GbdtTree;
  private features!: Float64Array;
  private offset = 0;
  private out!: Float64Array;
  private outOffset = 0;

  /** For trees of at most maxDepth splits on a path (treeDepth); a deeper one throws RangeError. */
  constructor(maxDepth: number) {
    this.cap = maxDepth + 2;
    const size = this.cap * (maxDepth + 2);
    this.d = new Int32Array(size);
    this.z = new Float64Array(size);
    this.o = new Float64Array(size);
    this.w = new Float64Array(size);
    this.inv = new Float64Array(this.cap + 1);
    for (let k = 1; k <= this.cap; k++) this.inv[k] = 1 / k;
  }

  /**
   * Adds the row's TreeSHAP values for `tree` to out[outOffset + feature]. Throws INVALID_ARGUMENT
   * when a node's cover (training row count) is not positive: the expectations need them.
   */
  add(tree: GbdtTree, features: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    if (tree.numLeaves === 1) return;
    this.tree = tree;
    this.features = features;
    this.offset = offset;
    this.out = out;
    this.outOffset = outOffset;
    this.recurse(0, 0, 0, 1, 1, -1);
  }

  private cover(child: number): number {
    const t = this.tree;
    const c = child < 0 ? (t.leafCount[~child] as number) : (t.internalCount[child] as number);
    if (!(c > 0))
      throw new WaybillError('INVALID_ARGUMENT', 'TreeSHAP needs positive node counts (internalCount / leafCount) in every tree', {
        field: 'model.trees',
      });
    return c;
  }

  /** `node` (>= 0 internal, < 0 ~leaf) at recursion level `level`, below a path of parentLen. */
  private recurse(node: number, level: number, parentLen: number, pz: number, po: number, pi: number): void {
    const { d, z, o, w } = this;
    // Level k holds a path of k + 1 elements: the scratch has cap levels of cap slots.
    if (level >= this.cap - 1) throw new RangeError(`TreeShap: a tree deeper than the ${this.cap - 2} levels sized for`);
    const base = level * this.cap;
    if (level > 0) {
      const from = base - this.cap;
      d.copyWithin(base, from, from + parentLen);
      z.copyWithin(base, from, from + parentLen);
      o.copyWithin(base, from, from + parentLen);
      w.copyWithin(base, from, from + parentLen);
    }
    // Extend the path by (pi, pz, po): the weights of subsets with and without the new feature.
    let len = parentLen;
    d[base + len] = pi;
    z[base + len] = pz;
    o[base + len] = po;
    w[base + len] = len === 0 ? 1 : 0;
    const invLen = this.inv[len + 1] as number;
    for (let i = len - 1; i >= 0; i--) {
      w[base + i + 1] = (w[base + i + 1] as number) + po * (w[base + i] as number) * ((i + 1) * invLen);
      w[base + i] = pz * (w[base + i] as number) * ((len - i) * invLen);
    }
    len++;
    const t = this.tree;
    if (node < 0) {
      const value = t.leafValue[~node] as number;
      for (let i = 1; i < len; i++) {
        const s = this.unwoundSum(base, len, i);
        const f = this.outOffset + (d[base + i] as number);
        this.out[f] = (this.out[f] as number) + s * ((o[base + i] as number) - (z[base + i] as number)) * value;
      }
      return;
    }
    const feature = t.splitFeature[node] as number;
    const left = goesLeft(t, node, this.features[this.offset + feature] as number);
    const lc = t.leftChild[node] as number;
    const rc = t.rightChild[node] as number;
    const r = this.cover(node);
    // A feature already on the path: its earlier split's fractions multiply into this one's.
    let iz = 1;
    let io = 1;
    for (let k = 1; k < len; k++) {
      if (d[base + k] !== feature) continue;
      iz = z[base + k] as number;
      io = o[base + k] as number;
      this.unwind(base, len, k);
      len--;
      break;
    }
    // The row's side keeps the one fraction, the other gets 0. Left child first whichever side the
    // row takes: the leaves add into `out` in an order fixed by the tree (the C++ tables rely on it).
    this.recurse(lc, level + 1, len, (iz * this.cover(lc)) / r, left ? io : 0, feature);
    this.recurse(rc, level + 1, len, (iz * this.cover(rc)) / r, left ? 0 : io, feature);
  }

  /** Removes path element i (of len) from the weights, as if it had never been added. */
  private unwind(base: number, len: number, i: number): void {
    const { d, z, o, w, inv } = this;
    const l = len - 1;
    const oi = o[base + i] as number;
    const zi = z[base + i] as number;
    if (oi !== 0) {
      const a = (l + 1) / oi;
      const b = zi / (l + 1);
      let n = w[base + l] as number;
      for (let j = l - 1; j >= 0; j--) {
        const t = w[base + j] as number;
        w[base + j] = n * (a * (inv[j + 1] as number));
        n = t - (w[base + j] as number) * (b * (l - j));
      }
    } else {
      const c = (l + 1) / zi;
      for (let j = l - 1; j >= 0; j--) w[base + j] = (w[base + j] as number) * (c * (inv[l - j] as number));
    }
    for (let j = i; j < l; j++) {
      d[base + j] = d[base + j + 1] as number;
      z[base + j] = z[base + j + 1] as number;
      o[base + j] = o[base + j + 1] as number;
    }
  }

  /** The sum of the weights the path would have with element i (of len) unwound. */
  private unwoundSum(base: number, len: number, i: number): number {
    const { z, o, w, inv } = this;
    const l = len - 1;
    const oi = o[base + i] as number;
    const zi = z[base + i] as number;
    let total = 0;
    if (oi !== 0) {
      const a = (l + 1) / oi;
      const b = zi / (l + 1);
      let n = w[base + l] as number;
      for (let j = l - 1; j >= 0; j--) {
        const t = n * (a * (inv[j + 1] as number));
        total += t;
        n = (w[base + j] as number) - t * (b * (l - j));
      }
    } else {
      const c = (l + 1) / zi;
      for (let j = l - 1; j >= 0; j--) total += (w[base + j] as number) * (c * (inv[l - j] as number));
    }
    return total;
  }
}
