/**
 * One regression tree of a GBDT model, in flat arrays, and the per-row walks over it (prediction
 * and Saabas contributions). A tree with L leaves has L - 1 internal nodes; node 0 is the root
 * (when L = 1 the tree is the single leaf 0). A child index c >= 0 is an internal node, c < 0 is
 * the leaf ~c (= -c - 1). Children always have larger node indices than their parent.
 *
 * Routing of a value x at node i with feature f = splitFeature[i]:
 * - x is NaN (missing): left when defaultLeft[i], else right;
 * - categorical split (catLeft[i] !== null): left when x is a category code listed in catLeft[i]
 *   (sorted ascending); any other value (unseen, "other", not an integer >= 0) goes right;
 * - numeric split: left when x <= threshold[i] (threshold may be +Infinity: every value left).
 */

export interface GbdtTree {
  numLeaves: number;
  /** Internal nodes (length numLeaves - 1). */
  splitFeature: Int32Array;
  threshold: Float64Array;
  catLeft: Array<Int32Array | null>;
  defaultLeft: Uint8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  /** Gain of each split (G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)). */
  splitGain: Float64Array;
  /** Training-row-weighted mean of the leaf values below each node (Saabas's node value). */
  internalValue: Float64Array;
  /** Training rows (of this tree's sample) that reached each node. */
  internalCount: Float64Array;
  /** Leaves (length numLeaves): output in raw-score units, learning rate included. */
  leafValue: Float64Array;
  leafCount: Float64Array;
}

function inSorted(set: Int32Array, x: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = set[mid] as number;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Whether value x goes to the left child of internal node `node`. */
export function goesLeft(tree: GbdtTree, node: number, x: number): boolean {
  if (Number.isNaN(x)) return tree.defaultLeft[node] === 1;
  const cats = tree.catLeft[node];
  if (cats) return inSorted(cats, x);
  return x <= (tree.threshold[node] as number);
}

/** The leaf reached by the row starting at features[offset]. */
export function leafIndex(tree: GbdtTree, features: Float64Array, offset: number): number {
  if (tree.numLeaves === 1) return 0;
  let node = 0;
  for (;;) {
    const x = features[offset + (tree.splitFeature[node] as number)] as number;
    const next = goesLeft(tree, node, x) ? (tree.leftChild[node] as number) : (tree.rightChild[node] as number);
    if (next < 0) return ~next;
    node = next;
  }
}

/** The tree's expected output over its training rows (the root's Saabas value). */
export function rootValue(tree: GbdtTree): number {
  return tree.numLeaves === 1 ? (tree.leafValue[0] as number) : (tree.internalValue[0] as number);
}

/**
 * Saabas contributions of one row: for every split on the path, value(child) - value(node) is
 * added to out[outOffset + feature]. The sum over features is leaf value - root value.
 */
export function addSaabas(tree: GbdtTree, features: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
  if (tree.numLeaves === 1) return;
  let node = 0;
  for (;;) {
    const f = tree.splitFeature[node] as number;
    const next = goesLeft(tree, node, features[offset + f] as number)
      ? (tree.leftChild[node] as number)
      : (tree.rightChild[node] as number);
    const childValue = next < 0 ? (tree.leafValue[~next] as number) : (tree.internalValue[next] as number);
    out[outOffset + f] = (out[outOffset + f] as number) + childValue - (tree.internalValue[node] as number);
    if (next < 0) return;
    node = next;
  }
}
