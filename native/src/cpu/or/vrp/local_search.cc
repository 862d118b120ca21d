// Granular local search of the VRP hybrid genetic search. Routes keep prefix and suffix segments
// so that an inter-route move is evaluated in O(1) merges (Vidal et al. 2013); intra-route moves
// are evaluated by walking the candidate sequence. SWAP* (Vidal 2022) runs when the problem has
// no time dimension and coordinates give polar sectors.
#include <array>
#include <initializer_list>
#include <cstdio>
#include <numeric>

#include "vrp_internal.h"

namespace waybill::opt::vrp {

namespace {

constexpr double kTwoPi = 6.283185307179586;

double circ(double a) {
  a = std::fmod(a, kTwoPi);
  return a < 0 ? a + kTwoPi : a;
}

void sector_extend(double& start, double& len, double a) {
  if (len < 0) {
    start = a;
    len = 0;
    return;
  }
  const double off = circ(a - start);
  if (off <= len) return;
  const double grow_end = off - len;      // extend the end up to a
  const double grow_start = kTwoPi - off;  // move the start back to a
  if (grow_end <= grow_start) {
    len += grow_end;
  } else {
    start = a;
    len += grow_start;
  }
  if (len > kTwoPi) len = kTwoPi;
}

bool sectors_overlap(double s1, double l1, double s2, double l2) {
  if (l1 < 0 || l2 < 0) return false;
  return circ(s2 - s1) <= l1 + 1e-12 || circ(s1 - s2) <= l2 + 1e-12;
}

}  // namespace

void evaluate(const Data& d, const Penalties& p, Solution& s) {
  s.objective = s.excess = s.warp = s.distance = s.duration = 0;
  std::vector<char> routed(static_cast<std::size_t>(d.n), 0);
  for (int slot = 0; slot < d.slots(); ++slot) {
    const auto& r = s.routes[static_cast<std::size_t>(slot)];
    if (r.empty()) continue;
    const TypeInfo& ty = d.types[static_cast<std::size_t>(d.slot_type[static_cast<std::size_t>(slot)])];
    Seg seg = depot_seg(d, ty.start, ty, true);
    for (int c : r) {
      merge_into(d, seg, node_seg(d, c), seg);
      routed[static_cast<std::size_t>(c)] = 1;
    }
    merge_into(d, seg, depot_seg(d, ty.end, ty, false), seg);
    const RouteCost rc = route_cost(d, ty, seg, false);
    s.objective += rc.objective;
    s.excess += rc.excess;
    s.warp += rc.warp;
    s.distance += seg.dist;
    if (d.use_time) s.duration += seg.dur;
  }
  if (d.has_optional)
    for (int c = d.depots; c < d.n; ++c)
      if (!routed[static_cast<std::size_t>(c)]) s.objective += d.penalty[static_cast<std::size_t>(c)];
  s.penalized = s.objective + p.load * s.excess + p.warp * s.warp;
}

LocalSearch::LocalSearch(const Data& d) : d_(d) {
  routes_.resize(static_cast<std::size_t>(d.slots()));
  route_of_.assign(static_cast<std::size_t>(d.n), -1);
  pos_of_.assign(static_cast<std::size_t>(d.n), -1);
  tested_.assign(static_cast<std::size_t>(d.n), -1);
}

double LocalSearch::pen_of(const Route& r, const Seg& s, bool empty) const {
  return route_cost(d_, d_.types[static_cast<std::size_t>(r.type)], s, empty).penalized(p_);
}

void LocalSearch::update(Route& r) {
  const std::size_t m = r.nodes.size();
  r.fw.resize(m);
  r.bw.resize(m);
  r.bwc.resize(m);
  const TypeInfo& ty = d_.types[static_cast<std::size_t>(r.type)];
  r.fw[0] = depot_seg(d_, r.nodes[0], ty, true);
  for (std::size_t i = 1; i + 1 < m; ++i) merge_into(d_, r.fw[i - 1], node_seg(d_, r.nodes[i]), r.fw[i]);
  const Seg end = depot_seg(d_, r.nodes[m - 1], ty, false);
  merge_into(d_, r.fw[m - 2], end, r.fw[m - 1]);
  r.bw[m - 1] = end;
  if (m > 2) {
    r.bwc[m - 2] = node_seg(d_, r.nodes[m - 2]);
    for (std::size_t i = m - 2; i-- > 1;) merge_into(d_, node_seg(d_, r.nodes[i]), r.bwc[i + 1], r.bwc[i]);
    for (std::size_t i = 1; i + 1 < m; ++i) merge_into(d_, r.bwc[i], end, r.bw[i]);
  }
  merge_into(d_, r.fw[0], r.bw[1], r.bw[0]);
  r.cost = route_cost(d_, ty, r.fw[m - 1], r.empty());
  r.pen = r.cost.penalized(p_);
  const int idx = static_cast<int>(&r - routes_.data());
  r.sector_len = -1;
  for (std::size_t i = 1; i + 1 < m; ++i) {
    const int c = r.nodes[i];
    route_of_[static_cast<std::size_t>(c)] = idx;
    pos_of_[static_cast<std::size_t>(c)] = static_cast<int>(i);
    if (d_.has_coords) sector_extend(r.sector_start, r.sector_len, d_.angle[static_cast<std::size_t>(c)]);
  }
  r.modified = moves_;
}

void LocalSearch::load(const Solution& s) {
  moves_ = 0;
  std::fill(route_of_.begin(), route_of_.end(), -1);
  std::fill(pos_of_.begin(), pos_of_.end(), -1);
  std::fill(tested_.begin(), tested_.end(), -1);
  for (int slot = 0; slot < d_.slots(); ++slot) {
    Route& r = routes_[static_cast<std::size_t>(slot)];
    r.slot = slot;
    r.type = d_.slot_type[static_cast<std::size_t>(slot)];
    const TypeInfo& ty = d_.types[static_cast<std::size_t>(r.type)];
    const auto& cl = s.routes[static_cast<std::size_t>(slot)];
    r.nodes.clear();
    r.nodes.push_back(ty.start);
    r.nodes.insert(r.nodes.end(), cl.begin(), cl.end());
    r.nodes.push_back(ty.end);
    r.swapstar_tested = -1;
    update(r);
  }
}

void LocalSearch::store(Solution& s) const {
  s.routes.resize(routes_.size());
  for (std::size_t i = 0; i < routes_.size(); ++i) s.routes[i].assign(routes_[i].nodes.begin() + 1, routes_[i].nodes.end() - 1);
}

double LocalSearch::eval_seq(const Route& r, const int* seq, int len) const {
  Seg s = r.fw[0];
  for (int i = 0; i < len; ++i) merge_into(d_, s, node_seg(d_, seq[i]), s);
  merge_into(d_, s, r.bw.back(), s);
  return pen_of(r, s, len == 0);
}

void LocalSearch::apply_seq(Route& r, std::vector<int>&& clients) {
  const int start = r.nodes.front(), end = r.nodes.back();
  r.nodes.clear();
  r.nodes.push_back(start);
  r.nodes.insert(r.nodes.end(), clients.begin(), clients.end());
  r.nodes.push_back(end);
  ++moves_;
  update(r);
}

// Applies inter-route move `which` (numbered as in moves_inter) of u at position p of ru with the
// node at position q of rv (q = 0: rv's start depot).
void LocalSearch::apply_inter(int which, int u, int v, Route& ru, Route& rv, int p, int q) {
  const auto& Nu = ru.nodes;
  const auto& Nv = rv.nodes;
  const int mu = static_cast<int>(Nu.size()), mv = static_cast<int>(Nv.size());
  const int x = Nu[static_cast<std::size_t>(p + 1)], y = Nv[static_cast<std::size_t>(q + 1)];
  std::vector<int> nu, nv;
  nu.reserve(static_cast<std::size_t>(mu + mv));
  nv.reserve(static_cast<std::size_t>(mu + mv));
  auto range = [](std::vector<int>& out, const std::vector<int>& nodes, int from, int to) {  // [from, to)
    for (int i = from; i < to; ++i) out.push_back(nodes[static_cast<std::size_t>(i)]);
  };
  switch (which) {
    case 1:
      range(nu, Nu, 1, p), range(nu, Nu, p + 1, mu - 1);
      range(nv, Nv, 1, q + 1), nv.push_back(u), range(nv, Nv, q + 1, mv - 1);
      break;
    case 2:
    case 3:
      range(nu, Nu, 1, p), range(nu, Nu, p + 2, mu - 1);
      range(nv, Nv, 1, q + 1);
      if (which == 2) nv.push_back(u), nv.push_back(x);
      else nv.push_back(x), nv.push_back(u);
      range(nv, Nv, q + 1, mv - 1);
      break;
    case 4:
      range(nu, Nu, 1, p), nu.push_back(v), range(nu, Nu, p + 1, mu - 1);
      range(nv, Nv, 1, q), nv.push_back(u), range(nv, Nv, q + 1, mv - 1);
      break;
    case 5:
      range(nu, Nu, 1, p), nu.push_back(v), range(nu, Nu, p + 2, mu - 1);
      range(nv, Nv, 1, q), nv.push_back(u), nv.push_back(x), range(nv, Nv, q + 1, mv - 1);
      break;
    case 6:
      range(nu, Nu, 1, p), nu.push_back(v), nu.push_back(y), range(nu, Nu, p + 2, mu - 1);
      range(nv, Nv, 1, q), nv.push_back(u), nv.push_back(x), range(nv, Nv, q + 2, mv - 1);
      break;
    case 7:
      range(nu, Nu, 1, p + 1), range(nu, Nv, q + 1, mv - 1);
      range(nv, Nv, 1, q + 1), range(nv, Nu, p + 1, mu - 1);
      break;
    default:  // 8
      range(nu, Nu, 1, p + 1);
      for (int i = q; i >= 1; --i) nu.push_back(Nv[static_cast<std::size_t>(i)]);
      for (int i = mu - 2; i >= p + 1; --i) nv.push_back(Nu[static_cast<std::size_t>(i)]);
      range(nv, Nv, q + 1, mv - 1);
      break;
  }
  apply_seq(ru, std::move(nu));
  apply_seq(rv, std::move(nv));
}

// Inter-route moves of u (route ru, position p) with the node at position q of route rv
// (q = 0: the start depot of rv, i.e. moves that put something at the head of rv).
bool LocalSearch::moves_inter(int u, int v) {
  Route& ru = routes_[static_cast<std::size_t>(route_of_[static_cast<std::size_t>(u)])];
  const int rvi = v >= d_.depots ? route_of_[static_cast<std::size_t>(v)] : -1 - v;  // depot: encoded route
  Route& rv = routes_[static_cast<std::size_t>(rvi)];
  const int p = pos_of_[static_cast<std::size_t>(u)];
  const int q = v >= d_.depots ? pos_of_[static_cast<std::size_t>(v)] : 0;
  const int mu = static_cast<int>(ru.nodes.size()), mv = static_cast<int>(rv.nodes.size());
  const int cu = mu - 2, cv = mv - 2;
  const bool xc = p + 1 < mu - 1, yc = q + 1 < mv - 1;
  const int x = ru.nodes[static_cast<std::size_t>(p + 1)];
  const int y = rv.nodes[static_cast<std::size_t>(q + 1)];
  const double base = ru.pen + rv.pen;
  const Seg U = node_seg(d_, u);
  const Seg X = xc ? node_seg(d_, x) : Seg{};
  const Seg V = q > 0 ? node_seg(d_, v) : Seg{};
  const Seg Y = yc ? node_seg(d_, y) : Seg{};
  const auto& fu = ru.fw;
  const auto& bu = ru.bw;
  const auto& fv = rv.fw;
  const auto& bv = rv.bw;
  auto P = [&](std::size_t i) { return static_cast<std::size_t>(i); };
  Seg a, b;
  double best = base - 1e-7;
  int which = 0;

  // 1: relocate u after v.
  {
    merge_into(d_, fu[P(p - 1)], bu[P(p + 1)], a);
    merge_into(d_, fv[P(q)], U, b);
    merge_into(d_, b, bv[P(q + 1)], b);
    const double c = pen_of(ru, a, cu == 1) + pen_of(rv, b, false);
    if (c < best) best = c, which = 1;
  }
  if (xc) {
    // 2: relocate (u, x) after v;  3: relocate (x, u) after v.
    merge_into(d_, fu[P(p - 1)], bu[P(p + 2)], a);
    const double ca = pen_of(ru, a, cu == 2);
    merge_into(d_, fv[P(q)], U, b);
    merge_into(d_, b, X, b);
    merge_into(d_, b, bv[P(q + 1)], b);
    double c = ca + pen_of(rv, b, false);
    if (c < best) best = c, which = 2;
    merge_into(d_, fv[P(q)], X, b);
    merge_into(d_, b, U, b);
    merge_into(d_, b, bv[P(q + 1)], b);
    c = ca + pen_of(rv, b, false);
    if (c < best) best = c, which = 3;
  }
  if (q > 0) {
    // 4: swap u and v.
    merge_into(d_, fu[P(p - 1)], V, a);
    merge_into(d_, a, bu[P(p + 1)], a);
    merge_into(d_, fv[P(q - 1)], U, b);
    merge_into(d_, b, bv[P(q + 1)], b);
    double c = pen_of(ru, a, false) + pen_of(rv, b, false);
    if (c < best) best = c, which = 4;
    if (xc) {
      // 5: swap (u, x) with v.
      merge_into(d_, fu[P(p - 1)], V, a);
      merge_into(d_, a, bu[P(p + 2)], a);
      merge_into(d_, fv[P(q - 1)], U, b);
      merge_into(d_, b, X, b);
      merge_into(d_, b, bv[P(q + 1)], b);
      c = pen_of(ru, a, false) + pen_of(rv, b, false);
      if (c < best) best = c, which = 5;
      if (yc) {
        // 6: swap (u, x) with (v, y).
        merge_into(d_, fu[P(p - 1)], V, a);
        merge_into(d_, a, Y, a);
        merge_into(d_, a, bu[P(p + 2)], a);
        merge_into(d_, fv[P(q - 1)], U, b);
        merge_into(d_, b, X, b);
        merge_into(d_, b, bv[P(q + 2)], b);
        c = pen_of(ru, a, false) + pen_of(rv, b, false);
        if (c < best) best = c, which = 6;
      }
    }
  }
  // 7: 2-opt*: ru keeps its head up to u and takes rv's tail after v; rv the reverse.
  {
    if (yc) {
      merge_into(d_, fu[P(p)], rv.bwc[P(q + 1)], a);
      merge_into(d_, a, bu.back(), a);
    } else {
      merge_into(d_, fu[P(p)], bu.back(), a);
    }
    if (xc) {
      merge_into(d_, fv[P(q)], ru.bwc[P(p + 1)], b);
      merge_into(d_, b, bv.back(), b);
    } else {
      merge_into(d_, fv[P(q)], bv.back(), b);
    }
    const double c = pen_of(ru, a, false) + pen_of(rv, b, q + (cu - p) == 0);
    if (c < best) best = c, which = 7;
  }
  // 8: 2-opt* with reversal: ru = head(u) + reversed head(v) ; rv = reversed tail(x) + tail(y).
  // Only without a time dimension and on symmetric distances (a reversed piece keeps its length).
  if (!d_.use_time && d_.symmetric) {
    a = fu[P(p)];
    if (q > 0) {
      Seg h = fv[P(q)];
      h.dist -= d_.d(rv.nodes[0], rv.nodes[1]);
      h.first = v;
      h.last = rv.nodes[1];
      merge_into(d_, a, h, a);
    }
    merge_into(d_, a, bu.back(), a);
    b = fv[0];
    if (xc) {
      Seg t = ru.bwc[P(p + 1)];
      t.first = ru.nodes[P(mu - 2)];
      t.last = x;
      merge_into(d_, b, t, b);
    }
    merge_into(d_, b, bv[P(q + 1)], b);
    const double c = pen_of(ru, a, false) + pen_of(rv, b, (cu - p) + (cv - q) == 0);
    if (c < best) best = c, which = 8;
  }
  if (which == 0) return false;
  apply_inter(which, u, v, ru, rv, p, q);
#ifdef WAYBILL_VRP_DEBUG
  if (std::abs(ru.pen + rv.pen - best) > 1e-6 * std::max(1.0, std::abs(best)))
    std::fprintf(stderr, "move %d predicted %.6f got %.6f (p=%d q=%d cu=%d cv=%d)\n", which, best, ru.pen + rv.pen, p, q, cu, cv);
#endif
  return true;
}

double LocalSearch::pen_fast(const Route& r, double dist, const double* load, bool empty) const {
  if (empty) return 0;
  const TypeInfo& ty = d_.types[static_cast<std::size_t>(r.type)];
  double ex = 0;
  for (int k = 0; k < d_.dims; ++k) ex += std::max(0.0, load[k] - ty.capacity[k]);
  return ty.fixed + ty.cost_distance * dist + p_.load * ex;
}

// The same moves as moves_inter when every route starts and ends at the same depot: new route
// distances from arc deltas, loads from prefix loads — the exact cost without a time dimension,
// a lower bound with one (then only moves whose bound beats the best are evaluated with the
// time-window segments). The predicted cost is checked against the applied one in the debug build.
bool LocalSearch::moves_inter_fast(int u, int v) {
  Route& ru = routes_[static_cast<std::size_t>(route_of_[static_cast<std::size_t>(u)])];
  const int rvi = v >= d_.depots ? route_of_[static_cast<std::size_t>(v)] : -1 - v;
  Route& rv = routes_[static_cast<std::size_t>(rvi)];
  const int p = pos_of_[static_cast<std::size_t>(u)];
  const int q = v >= d_.depots ? pos_of_[static_cast<std::size_t>(v)] : 0;
  const auto& Nu = ru.nodes;
  const auto& Nv = rv.nodes;
  const int mu = static_cast<int>(Nu.size()), mv = static_cast<int>(Nv.size());
  const int cu = mu - 2, cv = mv - 2;
  const bool xc = p + 1 < mu - 1, yc = q + 1 < mv - 1;
  auto at = [](const std::vector<int>& nodes, int i) { return nodes[static_cast<std::size_t>(i)]; };
  const int pu = at(Nu, p - 1), x = at(Nu, p + 1), vv = at(Nv, q), y = at(Nv, q + 1);
  const int xx = xc ? at(Nu, p + 2) : -1;
  const int pv = q > 0 ? at(Nv, q - 1) : -1;
  const int yy = yc ? at(Nv, q + 2) : -1;
  const double Du = ru.fw.back().dist, Dv = rv.fw.back().dist;
  const double* Lu = ru.fw.back().load;
  const double* Lv = rv.fw.back().load;
  const int dims = d_.dims;
  const double* qu = &d_.demand[static_cast<std::size_t>(u) * dims];
  const double* qx = xc ? &d_.demand[static_cast<std::size_t>(x) * dims] : nullptr;
  const double* qv = q > 0 ? &d_.demand[static_cast<std::size_t>(v) * dims] : nullptr;
  const double* qy = yc ? &d_.demand[static_cast<std::size_t>(y) * dims] : nullptr;
  auto D = [&](int a, int b) { return d_.d(a, b); };
  const double base = ru.pen + rv.pen;
  double best = base - 1e-7;
  int which = 0;
  double la[kMaxDims], lb[kMaxDims];
  // With a time dimension the distance-and-load cost is a lower bound (time warp and time costs
  // are >= 0): only moves whose bound beats the best are evaluated exactly with segments.
  const bool timed = d_.use_time;
  auto exact = [&](int move) -> double {
    const auto& fu = ru.fw;
    const auto& bu = ru.bw;
    const auto& fv = rv.fw;
    const auto& bv = rv.bw;
    auto P = [](int i) { return static_cast<std::size_t>(i); };
    const Seg U = node_seg(d_, u);
    Seg a, b;
    switch (move) {
      case 1:
        merge_into(d_, fu[P(p - 1)], bu[P(p + 1)], a);
        merge_into(d_, fv[P(q)], U, b);
        merge_into(d_, b, bv[P(q + 1)], b);
        return pen_of(ru, a, cu == 1) + pen_of(rv, b, false);
      case 2:
      case 3: {
        const Seg X = node_seg(d_, x);
        merge_into(d_, fu[P(p - 1)], bu[P(p + 2)], a);
        merge_into(d_, fv[P(q)], move == 2 ? U : X, b);
        merge_into(d_, b, move == 2 ? X : U, b);
        merge_into(d_, b, bv[P(q + 1)], b);
        return pen_of(ru, a, cu == 2) + pen_of(rv, b, false);
      }
      case 4: {
        const Seg V = node_seg(d_, v);
        merge_into(d_, fu[P(p - 1)], V, a);
        merge_into(d_, a, bu[P(p + 1)], a);
        merge_into(d_, fv[P(q - 1)], U, b);
        merge_into(d_, b, bv[P(q + 1)], b);
        return pen_of(ru, a, false) + pen_of(rv, b, false);
      }
      case 5: {
        const Seg V = node_seg(d_, v), X = node_seg(d_, x);
        merge_into(d_, fu[P(p - 1)], V, a);
        merge_into(d_, a, bu[P(p + 2)], a);
        merge_into(d_, fv[P(q - 1)], U, b);
        merge_into(d_, b, X, b);
        merge_into(d_, b, bv[P(q + 1)], b);
        return pen_of(ru, a, false) + pen_of(rv, b, false);
      }
      case 6: {
        const Seg V = node_seg(d_, v), X = node_seg(d_, x), Y = node_seg(d_, y);
        merge_into(d_, fu[P(p - 1)], V, a);
        merge_into(d_, a, Y, a);
        merge_into(d_, a, bu[P(p + 2)], a);
        merge_into(d_, fv[P(q - 1)], U, b);
        merge_into(d_, b, X, b);
        merge_into(d_, b, bv[P(q + 2)], b);
        return pen_of(ru, a, false) + pen_of(rv, b, false);
      }
      default: {  // 7
        if (yc) {
          merge_into(d_, fu[P(p)], rv.bwc[P(q + 1)], a);
          merge_into(d_, a, bu.back(), a);
        } else {
          merge_into(d_, fu[P(p)], bu.back(), a);
        }
        if (xc) {
          merge_into(d_, fv[P(q)], ru.bwc[P(p + 1)], b);
          merge_into(d_, b, bv.back(), b);
        } else {
          merge_into(d_, fv[P(q)], bv.back(), b);
        }
        return pen_of(ru, a, false) + pen_of(rv, b, q + (cu - p) == 0);
      }
    }
  };
  auto take = [&](double c, int move) {
    if (!(c < best)) return;
    if (timed) {
      c = exact(move);
      if (!(c < best)) return;
    }
    best = c;
    which = move;
  };
  // 1: relocate u after v.
  {
    for (int k = 0; k < dims; ++k) la[k] = Lu[k] - qu[k], lb[k] = Lv[k] + qu[k];
    const double c = pen_fast(ru, Du - D(pu, u) - D(u, x) + D(pu, x), la, cu == 1) +
                     pen_fast(rv, Dv - D(vv, y) + D(vv, u) + D(u, y), lb, false);
    take(c, 1);
  }
  if (xc) {
    for (int k = 0; k < dims; ++k) la[k] = Lu[k] - qu[k] - qx[k], lb[k] = Lv[k] + qu[k] + qx[k];
    const double ca = pen_fast(ru, Du - D(pu, u) - D(u, x) - D(x, xx) + D(pu, xx), la, cu == 2);
    double c = ca + pen_fast(rv, Dv - D(vv, y) + D(vv, u) + D(u, x) + D(x, y), lb, false);
    take(c, 2);
    c = ca + pen_fast(rv, Dv - D(vv, y) + D(vv, x) + D(x, u) + D(u, y), lb, false);
    take(c, 3);
  }
  if (q > 0) {
    for (int k = 0; k < dims; ++k) la[k] = Lu[k] - qu[k] + qv[k], lb[k] = Lv[k] + qu[k] - qv[k];
    double c = pen_fast(ru, Du - D(pu, u) - D(u, x) + D(pu, v) + D(v, x), la, false) +
               pen_fast(rv, Dv - D(pv, v) - D(v, y) + D(pv, u) + D(u, y), lb, false);
    take(c, 4);
    if (xc) {
      for (int k = 0; k < dims; ++k) la[k] = Lu[k] - qu[k] - qx[k] + qv[k], lb[k] = Lv[k] + qu[k] + qx[k] - qv[k];
      c = pen_fast(ru, Du - D(pu, u) - D(u, x) - D(x, xx) + D(pu, v) + D(v, xx), la, false) +
          pen_fast(rv, Dv - D(pv, v) - D(v, y) + D(pv, u) + D(u, x) + D(x, y), lb, false);
      take(c, 5);
      if (yc) {
        for (int k = 0; k < dims; ++k) la[k] = Lu[k] - qu[k] - qx[k] + qv[k] + qy[k], lb[k] = Lv[k] + qu[k] + qx[k] - qv[k] - qy[k];
        c = pen_fast(ru, Du - D(pu, u) - D(u, x) - D(x, xx) + D(pu, v) + D(v, y) + D(y, xx), la, false) +
            pen_fast(rv, Dv - D(pv, v) - D(v, y) - D(y, yy) + D(pv, u) + D(u, x) + D(x, yy), lb, false);
        take(c, 6);
      }
    }
  }
  // 7: 2-opt*.
  {
    const double* Pu = ru.fw[static_cast<std::size_t>(p)].load;
    const double* Pv = rv.fw[static_cast<std::size_t>(q)].load;
    for (int k = 0; k < dims; ++k) la[k] = Pu[k] + Lv[k] - Pv[k], lb[k] = Pv[k] + Lu[k] - Pu[k];
    const double du = ru.fw[static_cast<std::size_t>(p)].dist + D(u, y) + (Dv - rv.fw[static_cast<std::size_t>(q + 1)].dist);
    const double dv = rv.fw[static_cast<std::size_t>(q)].dist + D(vv, x) + (Du - ru.fw[static_cast<std::size_t>(p + 1)].dist);
    const double c = pen_fast(ru, du, la, false) + pen_fast(rv, dv, lb, q + (cu - p) == 0);
    take(c, 7);
    // 8: 2-opt* with reversal (symmetric distances).
    if (d_.symmetric && !timed) {
      for (int k = 0; k < dims; ++k) la[k] = Pu[k] + Pv[k], lb[k] = Lu[k] - Pu[k] + Lv[k] - Pv[k];
      const int dep = Nu.front();
      const double du8 = ru.fw[static_cast<std::size_t>(p)].dist + (q > 0 ? D(u, v) + rv.fw[static_cast<std::size_t>(q)].dist : D(u, dep));
      double dv8;
      if (xc) dv8 = Du - ru.fw[static_cast<std::size_t>(p + 1)].dist + D(x, y) + (Dv - rv.fw[static_cast<std::size_t>(q + 1)].dist);
      else dv8 = yc ? D(dep, y) + (Dv - rv.fw[static_cast<std::size_t>(q + 1)].dist) : 0;
      const double c8 = pen_fast(ru, du8, la, false) + pen_fast(rv, dv8, lb, (cu - p) + (cv - q) == 0);
      if (c8 < best) best = c8, which = 8;
    }
  }
  if (which == 0) return false;
  apply_inter(which, u, v, ru, rv, p, q);
#ifdef WAYBILL_VRP_DEBUG
  if (std::abs(ru.pen + rv.pen - best) > 1e-6 * std::max(1.0, std::abs(best)))
    std::fprintf(stderr, "fast move %d predicted %.6f got %.6f (p=%d q=%d cu=%d cv=%d)\n", which, best, ru.pen + rv.pen, p, q, cu, cv);
#endif
  return true;
}

// Moves of u with v in the same route. A candidate is a list of pieces of the current route
// (position ranges, possibly reversed). Without a time dimension the load does not change, so
// only the distance is compared, in O(pieces) from prefix distances (reversed pieces of an
// asymmetric matrix are walked). Otherwise the candidate sequence is evaluated in full.
namespace {
struct Piece {
  int from, to;  // positions in route.nodes, inclusive; from > to: empty
  bool rev;
};
}  // namespace

bool LocalSearch::moves_intra(int u, int v) {
  Route& r = routes_[static_cast<std::size_t>(route_of_[static_cast<std::size_t>(u)])];
  const int end = static_cast<int>(r.nodes.size()) - 1;  // position of the end depot
  const int P = pos_of_[static_cast<std::size_t>(u)], Q = pos_of_[static_cast<std::size_t>(v)];
  const bool dist_only = !d_.use_time;
  const auto& N = r.nodes;
  auto node = [&](int i) { return N[static_cast<std::size_t>(i)]; };
  auto piece_dist = [&](const Piece* ps, int k) {
    double total = 0;
    int last = -1;
    for (int i = 0; i < k; ++i) {
      const Piece& pc = ps[i];
      if (pc.from > pc.to) continue;
      const int first_node = node(pc.rev ? pc.to : pc.from);
      if (last >= 0) total += d_.d(last, first_node);
      if (!pc.rev || d_.symmetric) {
        total += r.fw[static_cast<std::size_t>(pc.to)].dist - r.fw[static_cast<std::size_t>(pc.from)].dist;
      } else {
        for (int t = pc.to; t > pc.from; --t) total += d_.d(node(t), node(t - 1));
      }
      last = node(pc.rev ? pc.from : pc.to);
    }
    return total;
  };
  std::vector<int>& seq = scratch_;
  auto build = [&](const Piece* ps, int k) {
    seq.clear();
    for (int i = 0; i < k; ++i) {
      const Piece& pc = ps[i];
      if (pc.from > pc.to) continue;
      if (pc.rev)
        for (int t = pc.to; t >= pc.from; --t) seq.push_back(node(t));
      else
        for (int t = pc.from; t <= pc.to; ++t) seq.push_back(node(t));
    }
    // strip the depots
    seq.erase(seq.begin());
    seq.pop_back();
  };
  const double cd = d_.types[static_cast<std::size_t>(r.type)].cost_distance;
  double best = dist_only ? r.fw.back().dist - 1e-7 / std::max(cd, 1e-12) : r.pen - 1e-7;
  Piece best_ps[5];
  int best_k = 0;
  auto consider = [&](std::initializer_list<Piece> list) {
    const Piece* ps = list.begin();
    const int k = static_cast<int>(list.size());
    double c;
    if (dist_only) {
      c = piece_dist(ps, k);
    } else {
      // Lower bound first: the load is unchanged and time warp and time costs are >= 0.
      const TypeInfo& ty = d_.types[static_cast<std::size_t>(r.type)];
      if (ty.fixed + cd * piece_dist(ps, k) + p_.load * r.cost.excess >= best) return;
      build(ps, k);
      c = eval_seq(r, seq.data(), static_cast<int>(seq.size()));
    }
    if (c < best) {
      best = c;
      std::copy(ps, ps + k, best_ps);
      best_k = k;
    }
  };
  const bool xc = P + 1 < end;
  // 1: relocate u after v.
  if (Q != P - 1) {
    if (Q < P) consider({{0, Q, false}, {P, P, false}, {Q + 1, P - 1, false}, {P + 1, end, false}});
    else consider({{0, P - 1, false}, {P + 1, Q, false}, {P, P, false}, {Q + 1, end, false}});
  }
  // 2, 3: relocate (u, x) / (x, u) after v.
  if (xc && Q != P + 1) {
    for (int rev = 0; rev < 2; ++rev) {
      if (Q < P) {
        if (Q == P - 1 && !rev) continue;
        consider({{0, Q, false}, {P, P + 1, rev == 1}, {Q + 1, P - 1, false}, {P + 2, end, false}});
      } else {
        consider({{0, P - 1, false}, {P + 2, Q, false}, {P, P + 1, rev == 1}, {Q + 1, end, false}});
      }
    }
  }
  // 4: swap u and v.
  {
    const int a = std::min(P, Q), b = std::max(P, Q);
    if (b == a + 1) consider({{0, a - 1, false}, {b, b, false}, {a, a, false}, {b + 1, end, false}});
    else consider({{0, a - 1, false}, {b, b, false}, {a + 1, b - 1, false}, {a, a, false}, {b + 1, end, false}});
  }
  // 5, 6: swap (u, x) with v or with (v, y).
  if (xc && Q != P + 1) {
    for (int lv = 1; lv <= 2; ++lv) {
      if (lv == 2 && (Q + 1 >= end || Q + 1 == P)) break;
      int s1 = P, e1 = P + 1, s2 = Q, e2 = Q + lv - 1;
      if (s2 < s1) std::swap(s1, s2), std::swap(e1, e2);
      if (e1 >= s2) continue;
      consider({{0, s1 - 1, false}, {s2, e2, false}, {e1 + 1, s2 - 1, false}, {s1, e1, false}, {e2 + 1, end, false}});
    }
  }
  // 2-opt: reverse the piece between them.
  {
    const int a = std::min(P, Q), b = std::max(P, Q);
    consider({{0, a, false}, {a + 1, b, true}, {b + 1, end, false}});
  }
  if (best_k == 0) return false;
  build(best_ps, best_k);
  apply_seq(r, std::vector<int>(seq));
  return true;
}

bool LocalSearch::try_optional(int u) {
  const double pen_u = d_.penalty[static_cast<std::size_t>(u)];
  if (!(pen_u < kInf)) return false;
  const int ri = route_of_[static_cast<std::size_t>(u)];
  if (ri >= 0) {
    Route& r = routes_[static_cast<std::size_t>(ri)];
    const int p = pos_of_[static_cast<std::size_t>(u)];
    const Seg a = merge(d_, r.fw[static_cast<std::size_t>(p - 1)], r.bw[static_cast<std::size_t>(p + 1)]);
    const double c = pen_of(r, a, r.nodes.size() == 3) + pen_u;
    if (c < r.pen - 1e-7) {
      std::vector<int> nu(r.nodes.begin() + 1, r.nodes.end() - 1);
      nu.erase(nu.begin() + (p - 1));
      route_of_[static_cast<std::size_t>(u)] = -1;
      pos_of_[static_cast<std::size_t>(u)] = -1;
      apply_seq(r, std::move(nu));
      return true;
    }
    return false;
  }
  // Not routed: best insertion after a routed neighbour, at the head of its route, or alone.
  const Seg U = node_seg(d_, u);
  double best = -1e-7;
  int best_route = -1, best_pos = 0;
  auto test = [&](int rindex, int q) {
    Route& r = routes_[static_cast<std::size_t>(rindex)];
    Seg b = merge(d_, r.fw[static_cast<std::size_t>(q)], U);
    merge_into(d_, b, r.bw[static_cast<std::size_t>(q + 1)], b);
    const double delta = pen_of(r, b, false) - r.pen - pen_u;
    if (delta < best) best = delta, best_route = rindex, best_pos = q;
  };
  for (int v : d_.neighbours[static_cast<std::size_t>(u)]) {
    const int rv = route_of_[static_cast<std::size_t>(v)];
    if (rv < 0) continue;
    test(rv, pos_of_[static_cast<std::size_t>(v)]);
    test(rv, 0);
  }
  for (std::size_t t = 0; t < d_.types.size(); ++t)
    for (int sl = d_.first_slot[t]; sl < d_.first_slot[t] + d_.types[t].count; ++sl)
      if (routes_[static_cast<std::size_t>(sl)].empty()) {
        test(sl, 0);
        break;
      }
  if (best_route < 0) return false;
  Route& r = routes_[static_cast<std::size_t>(best_route)];
  std::vector<int> nv(r.nodes.begin() + 1, r.nodes.end() - 1);
  nv.insert(nv.begin() + best_pos, u);
  apply_seq(r, std::move(nv));
  return true;
}

// SWAP* between two routes: exchange u in r1 and v in r2, each inserted at its best position in
// the other route (not necessarily in the place of the other). Distance and load only.
bool LocalSearch::swap_star(Route& r1, Route& r2) {
  struct Ins {
    double cost[3] = {kInf, kInf, kInf};
    int after[3] = {-1, -1, -1};
    void add(double c, int a) {
      if (c >= cost[2]) return;
      int k = 2;
      while (k > 0 && c < cost[k - 1]) {
        cost[k] = cost[k - 1];
        after[k] = after[k - 1];
        --k;
      }
      cost[k] = c;
      after[k] = a;
    }
  };
  const TypeInfo& t1 = d_.types[static_cast<std::size_t>(r1.type)];
  const TypeInfo& t2 = d_.types[static_cast<std::size_t>(r2.type)];
  const auto& n1 = r1.nodes;
  const auto& n2 = r2.nodes;
  const int m1 = static_cast<int>(n1.size()), m2 = static_cast<int>(n2.size());
  auto top3 = [&](int u, const std::vector<int>& nodes, int m) {
    Ins ins;
    for (int i = 0; i + 1 < m; ++i) {
      const int a = nodes[static_cast<std::size_t>(i)], b = nodes[static_cast<std::size_t>(i + 1)];
      ins.add(d_.d(a, u) + d_.d(u, b) - d_.d(a, b), i);
    }
    return ins;
  };
  std::vector<Ins> ins1(static_cast<std::size_t>(m1)), ins2(static_cast<std::size_t>(m2));  // u of r1 into r2, v of r2 into r1
  for (int i = 1; i + 1 < m1; ++i) ins1[static_cast<std::size_t>(i)] = top3(n1[static_cast<std::size_t>(i)], n2, m2);
  for (int j = 1; j + 1 < m2; ++j) ins2[static_cast<std::size_t>(j)] = top3(n2[static_cast<std::size_t>(j)], n1, m1);
  auto excess = [&](const double* load, const TypeInfo& ty, int u_out, int u_in) {
    double e = 0;
    for (int k = 0; k < d_.dims; ++k) {
      const double l = load[k] - d_.demand[static_cast<std::size_t>(u_out) * d_.dims + k] +
                       d_.demand[static_cast<std::size_t>(u_in) * d_.dims + k];
      e += std::max(0.0, l - ty.capacity[k]);
    }
    return e;
  };
  const double* load1 = r1.fw.back().load;
  const double* load2 = r2.fw.back().load;
  double best = -1e-7;
  int bi = -1, bj = -1, b_after_u = -1, b_after_v = -1;  // positions (in the old routes) after which to insert
  for (int i = 1; i + 1 < m1; ++i) {
    const int u = n1[static_cast<std::size_t>(i)];
    const int pu = n1[static_cast<std::size_t>(i - 1)], xu = n1[static_cast<std::size_t>(i + 1)];
    const double del_u = t1.cost_distance * (d_.d(pu, xu) - d_.d(pu, u) - d_.d(u, xu));
    for (int j = 1; j + 1 < m2; ++j) {
      const int v = n2[static_cast<std::size_t>(j)];
      const int pv = n2[static_cast<std::size_t>(j - 1)], xv = n2[static_cast<std::size_t>(j + 1)];
      const double del_v = t2.cost_distance * (d_.d(pv, xv) - d_.d(pv, v) - d_.d(v, xv));
      const double dload = p_.load * (excess(load1, t1, u, v) - r1.cost.excess + excess(load2, t2, v, u) - r2.cost.excess);
      if (dload + del_u + del_v >= best + 1e-7 && dload + del_u + del_v >= 0) continue;
      // u into r2 without v: best stored position not touching v, or v's place.
      double cu = d_.d(pv, u) + d_.d(u, xv) - d_.d(pv, xv);
      int au = j - 1;
      const Ins& a = ins1[static_cast<std::size_t>(i)];
      for (int k = 0; k < 3; ++k) {
        const int pos = a.after[k];
        if (pos < 0) break;
        if (pos == j || pos == j - 1) continue;
        if (a.cost[k] < cu) cu = a.cost[k], au = pos;
        break;
      }
      double cv = d_.d(pu, v) + d_.d(v, xu) - d_.d(pu, xu);
      int av = i - 1;
      const Ins& b = ins2[static_cast<std::size_t>(j)];
      for (int k = 0; k < 3; ++k) {
        const int pos = b.after[k];
        if (pos < 0) break;
        if (pos == i || pos == i - 1) continue;
        if (b.cost[k] < cv) cv = b.cost[k], av = pos;
        break;
      }
      const double delta = dload + del_u + del_v + t2.cost_distance * cu + t1.cost_distance * cv;
      if (delta < best) best = delta, bi = i, bj = j, b_after_u = au, b_after_v = av;
    }
  }
  if (bi < 0) return false;
  const int u = n1[static_cast<std::size_t>(bi)], v = n2[static_cast<std::size_t>(bj)];
  std::vector<int> c1, c2;
  // r1 loses u, gains v after old position b_after_v (which is never u's position).
  for (int i = 0; i + 1 < m1; ++i) {
    if (i >= 1 && i != bi) c1.push_back(n1[static_cast<std::size_t>(i)]);
    if (i == b_after_v) c1.push_back(v);
  }
  for (int j = 0; j + 1 < m2; ++j) {
    if (j >= 1 && j != bj) c2.push_back(n2[static_cast<std::size_t>(j)]);
    if (j == b_after_u) c2.push_back(u);
  }
  apply_seq(r1, std::move(c1));
  apply_seq(r2, std::move(c2));
  return true;
}

void LocalSearch::run(Solution& s, const Penalties& p, Rng& rng, Clock::time_point deadline, bool has_deadline) {
  p_ = p;
  load(s);
  std::vector<int> order;
  order.reserve(static_cast<std::size_t>(d_.clients));
  for (int c = d_.depots; c < d_.n; ++c) order.push_back(c);
  std::shuffle(order.begin(), order.end(), rng);
  const bool swapstar = !d_.use_time && d_.has_coords;
  const bool fast = d_.one_depot;
  // First empty route per type (a target for opening a new route).
  auto empty_route = [&](std::size_t t) {
    for (int sl = d_.first_slot[t]; sl < d_.first_slot[t] + d_.types[t].count; ++sl)
      if (routes_[static_cast<std::size_t>(sl)].empty()) return sl;
    return -1;
  };
  std::vector<int> empties(d_.types.size(), -1);
  bool improved = true;
  int64_t counter = 0;
  for (int loop = 0; improved; ++loop) {
    improved = false;
    for (std::size_t t = 0; t < d_.types.size(); ++t) empties[t] = empty_route(t);
    for (int u : order) {
      if (has_deadline && (++counter & 63) == 0 && Clock::now() >= deadline) {
        store(s);
        return;
      }
      if (d_.has_optional && try_optional(u)) improved = true;
      if (route_of_[static_cast<std::size_t>(u)] < 0) continue;
      const int64_t last = tested_[static_cast<std::size_t>(u)];
      tested_[static_cast<std::size_t>(u)] = moves_;
      for (int v : d_.neighbours[static_cast<std::size_t>(u)]) {
        const int rv = route_of_[static_cast<std::size_t>(v)];
        if (rv < 0) continue;
        const int ru = route_of_[static_cast<std::size_t>(u)];
        if (loop > 0 && std::max(routes_[static_cast<std::size_t>(ru)].modified, routes_[static_cast<std::size_t>(rv)].modified) <= last)
          continue;
        const bool moved = ru == rv ? moves_intra(u, v) : fast ? moves_inter_fast(u, v) : moves_inter(u, v);
        if (moved) {
          improved = true;
          continue;
        }
        if (pos_of_[static_cast<std::size_t>(v)] == 1 && ru != rv && (fast ? moves_inter_fast(u, -1 - rv) : moves_inter(u, -1 - rv)))
          improved = true;
      }
      if (loop > 0) {
        for (std::size_t t = 0; t < d_.types.size(); ++t) {
          int e = empties[t];
          if (e >= 0 && !routes_[static_cast<std::size_t>(e)].empty()) e = empties[t] = empty_route(t);
          if (e < 0 || route_of_[static_cast<std::size_t>(u)] == e) continue;
          if (fast ? moves_inter_fast(u, -1 - e) : moves_inter(u, -1 - e)) {
            improved = true;
            empties[t] = empty_route(t);
          }
        }
      }
    }
    if (!improved && swapstar) {
      for (std::size_t a = 0; a < routes_.size(); ++a) {
        if (routes_[a].empty()) continue;
        for (std::size_t b = a + 1; b < routes_.size(); ++b) {
          Route& r1 = routes_[a];
          Route& r2 = routes_[b];
          if (r1.empty() || r2.empty()) continue;
          if (std::max(r1.modified, r2.modified) <= std::min(r1.swapstar_tested, r2.swapstar_tested)) continue;
          if (!sectors_overlap(r1.sector_start, r1.sector_len, r2.sector_start, r2.sector_len)) continue;
          if (swap_star(r1, r2)) improved = true;
        }
        routes_[a].swapstar_tested = moves_;
      }
    }
  }
  store(s);
}

}  // namespace waybill::opt::vrp
