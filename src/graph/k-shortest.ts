/**
 * Shortest and k-shortest loopless paths (Dijkstra; Yen, "Finding the k shortest loopless paths
 * in a network", Management Science 17(11), 1971) over any directed graph given by an arc
 * function with non-negative weights. Ties between equal-cost paths are broken by the node list
 * (lexicographic), so results are deterministic.
 */
import type { GraphPath } from './types.js';

/** An outgoing arc: target node, weight (>= 0, finite) and an edge id. */
export interface Arc {
  to: string;
  weight: number;
  edge: string;
}

/** Outgoing arcs of a node. */
export type ArcsOf = (node: string) => readonly Arc[];

/** Binary min-heap of (cost, node). */
class Heap {
  private readonly items: { cost: number; node: string }[] = [];
  get size(): number {
    return this.items.length;
  }
  push(cost: number, node: string): void {
    const a = this.items;
    a.push({ cost, node });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as { cost: number }).cost <= cost) break;
      a[i] = a[p] as { cost: number; node: string };
      i = p;
    }
    a[i] = { cost, node };
  }
  pop(): { cost: number; node: string } {
    const a = this.items;
    const top = a[0] as { cost: number; node: string };
    const last = a.pop() as { cost: number; node: string };
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mc = last.cost;
        if (l < a.length && (a[l] as { cost: number }).cost < mc) {
          m = l;
          mc = (a[l] as { cost: number }).cost;
        }
        if (r < a.length && (a[r] as { cost: number }).cost < mc) m = r;
        if (m === i) break;
        a[i] = a[m] as { cost: number; node: string };
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Dijkstra from `source` to `target`, skipping banned nodes and edges; undefined when unreachable.
 */
export function shortestPath(
  arcs: ArcsOf,
  source: string,
  target: string,
  bannedNodes: ReadonlySet<string> = new Set(),
  bannedEdges: ReadonlySet<string> = new Set(),
): GraphPath | undefined {
  const dist = new Map<string, number>([[source, 0]]);
  const prev = new Map<string, { node: string; edge: string }>();
  const done = new Set<string>();
  const heap = new Heap();
  heap.push(0, source);
  while (heap.size > 0) {
    const { cost, node } = heap.pop();
    if (done.has(node)) continue;
    done.add(node);
    if (node === target) break;
    for (const a of arcs(node)) {
      if (bannedNodes.has(a.to) || bannedEdges.has(a.edge) || done.has(a.to)) continue;
      const c = cost + a.weight;
      const old = dist.get(a.to);
      if (old === undefined || c < old) {
        dist.set(a.to, c);
        prev.set(a.to, { node, edge: a.edge });
        heap.push(c, a.to);
      }
    }
  }
  if (!done.has(target)) return undefined;
  const nodes = [target];
  const edges: string[] = [];
  let at = target;
  while (at !== source) {
    const p = prev.get(at) as { node: string; edge: string };
    edges.push(p.edge);
    nodes.push(p.node);
    at = p.node;
  }
  return { nodes: nodes.reverse(), edges: edges.reverse(), cost: dist.get(target) as number };
}

function comparePaths(a: GraphPath, b: GraphPath): number {
  if (a.cost !== b.cost) return a.cost - b.cost;
  const x = a.nodes.join('\u0000');
  const y = b.nodes.join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Up to k loopless paths from source to target in order of increasing cost (Yen's algorithm). */
export function kShortestPaths(arcs: ArcsOf, source: string, target: string, k: number): GraphPath[] {
  const first = shortestPath(arcs, source, target);
  if (!first || k < 1) return [];
  const found: GraphPath[] = [first];
  const candidates: GraphPath[] = [];
  const seen = new Set<string>([first.edges.join('\u0000')]);
  const edgeWeight = (from: string, edge: string): number => arcs(from).find((a) => a.edge === edge)?.weight ?? Number.NaN;
  while (found.length < k) {
    const last = found[found.length - 1] as GraphPath;
    for (let i = 0; i < last.nodes.length - 1; i++) {
      const spur = last.nodes[i] as string;
      const rootNodes = last.nodes.slice(0, i + 1);
      const rootEdges = last.edges.slice(0, i);
      const bannedEdges = new Set<string>();
      for (const p of found) {
        if (p.nodes.length > i && p.nodes.slice(0, i + 1).every((n, j) => n === rootNodes[j])) bannedEdges.add(p.edges[i] as string);
      }
      const bannedNodes = new Set(rootNodes.slice(0, i));
      const spurPath = shortestPath(arcs, spur, target, bannedNodes, bannedEdges);
      if (!spurPath) continue;
      const edges = [...rootEdges, ...spurPath.edges];
      const key = edges.join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      let rootCost = 0;
      rootEdges.forEach((e, j) => {
        rootCost += edgeWeight(rootNodes[j] as string, e);
      });
      candidates.push({ nodes: [...rootNodes, ...spurPath.nodes.slice(1)], edges, cost: rootCost + spurPath.cost });
    }
    if (candidates.length === 0) break;
    candidates.sort(comparePaths);
    found.push(candidates.shift() as GraphPath);
  }
  return found;
}
