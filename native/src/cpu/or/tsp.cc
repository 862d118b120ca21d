// Symmetric TSP by iterated local search: 2-opt and Or-opt over candidate (nearest-neighbour)
// lists with don't-look bits, kicked by local double bridges (Martin, Otto and Felten; Johnson
// and McGeoch's survey of TSP local search). The tour is an array with a position index; a 2-opt
// move reverses the shorter side, an Or-opt move is applied as up to three reversals.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {
namespace {

constexpr double kEps = 1e-10;

class Tour {
 public:
  Tour(const double* d, std::size_t n) : d_(d), n_(n), order_(n), pos_(n) {}

  double dist(int a, int b) const { return d_[static_cast<std::size_t>(a) * n_ + static_cast<std::size_t>(b)]; }
  int at(std::size_t i) const { return order_[i % n_]; }
  int succ(int c) const { return order_[(pos_[c] + 1) % n_]; }
  int pred(int c) const { return order_[(pos_[c] + n_ - 1) % n_]; }
  std::size_t pos(int c) const { return pos_[c]; }

  void set(const std::vector<int>& order) {
    order_ = order;
    for (std::size_t i = 0; i < n_; ++i) pos_[order_[i]] = i;
  }
  const std::vector<int>& order() const { return order_; }

  double length() const {
    double s = 0;
    for (std::size_t i = 0; i < n_; ++i) s += dist(order_[i], order_[(i + 1) % n_]);
    return s;
  }

  /// Reverses the path from city a to city b (inclusive, following succ). Reverses the shorter of
  /// that path and its complement (the same cyclic tour either way).
  void reverse(int a, int b) {
    std::size_t i = pos_[a], j = pos_[b];
    std::size_t len = (j + n_ - i) % n_ + 1;
    if (2 * len > n_) {  // reverse the complement: succ(b) .. pred(a)
      i = (pos_[b] + 1) % n_;
      j = (pos_[a] + n_ - 1) % n_;
      len = n_ - len;
    }
    for (std::size_t k = 0; k < len / 2; ++k) {
      const std::size_t x = (i + k) % n_, y = (j + n_ - k) % n_;
      std::swap(order_[x], order_[y]);
      pos_[order_[x]] = x;
      pos_[order_[y]] = y;
    }
  }

 private:
  const double* d_;
  std::size_t n_;
  std::vector<int> order_;
  std::vector<std::size_t> pos_;
};

class Solver {
 public:
  Solver(const double* d, std::size_t n, int k) : d_(d), n_(n), tour_(d, n), dont_look_(n, 0) {
    const std::size_t kk = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, k)), n - 1);
    neighbours_.assign(n, {});
    std::vector<int> idx(n);
    for (std::size_t a = 0; a < n; ++a) {
      idx.resize(n);
      std::iota(idx.begin(), idx.end(), 0);
      idx.erase(idx.begin() + static_cast<std::ptrdiff_t>(a));
      std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), [&](int x, int y) {
        const double dx = d[a * n + x], dy = d[a * n + y];
        return dx != dy ? dx < dy : x < y;
      });
      neighbours_[a].assign(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk));
    }
  }

  Tour& tour() { return tour_; }

  void nearest_neighbour_start() {
    std::vector<char> used(n_, 0);
    std::vector<int> order;
    order.reserve(n_);
    int cur = 0;
    used[0] = 1;
    order.push_back(0);
    for (std::size_t step = 1; step < n_; ++step) {
      int best = -1;
      for (const int c : neighbours_[cur]) {
        if (!used[c]) {
          best = c;
          break;
        }
      }
      if (best < 0) {  // all candidates used: scan everything
        double bd = INFINITY;
        for (std::size_t c = 0; c < n_; ++c) {
          if (!used[c] && d_[static_cast<std::size_t>(cur) * n_ + c] < bd) {
            bd = d_[static_cast<std::size_t>(cur) * n_ + c];
            best = static_cast<int>(c);
          }
        }
      }
      used[best] = 1;
      order.push_back(best);
      cur = best;
    }
    tour_.set(order);
  }

  void wake(int c) { dont_look_[c] = 0; }
  void wake_all() { std::fill(dont_look_.begin(), dont_look_.end(), 0); }

  /// Local search until no improving 2-opt or Or-opt move remains for awake cities.
  void local_search(std::vector<int>& queue) {
    while (!queue.empty()) {
      const int a = queue.back();
      queue.pop_back();
      if (dont_look_[a]) continue;
      if (!improve_city(a, queue)) dont_look_[a] = 1;
    }
  }

  void enqueue_all(std::vector<int>& queue) {
    queue.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) queue[i] = tour_.at(n_ - 1 - i);
  }

 private:
  void touch(std::vector<int>& queue, std::initializer_list<int> cities) {
    for (const int c : cities) {
      dont_look_[c] = 0;
      queue.push_back(c);
    }
  }

  bool improve_city(int a, std::vector<int>& queue) {
    return two_opt(a, queue) || or_opt(a, queue) || lk3(a, queue);
  }

  /// An LK-style sequential 3-opt move (Lin-Kernighan depth 3, as two flips): break (t1, t2), add
  /// (t2, t3) with positive partial gain, flip to close at (t1, t4) tentatively, then break
  /// (t1, t4), add (t4, t5) and close at (t6, t1). Kept only when the whole chain gains; the
  /// tentative flip is undone otherwise. Candidates come from the neighbour lists.
  bool lk3(int t1, std::vector<int>& queue) {
    for (int dir = 0; dir < 2; ++dir) {
      // dir 0: t2 = succ(t1); dir 1: the mirror image (t2 = pred(t1)).
      auto nxt = [&](int c, bool fwd) { return fwd ? tour_.succ(c) : tour_.pred(c); };
      const int t2 = nxt(t1, dir == 0);
      const double d12 = tour_.dist(t1, t2);
      for (const int t3 : neighbours_[t2]) {
        const double g1 = d12 - tour_.dist(t2, t3);
        if (g1 <= kEps) break;
        if (t3 == t1) continue;
        // Orientation now (an undone flip may have reversed the stored order).
        const bool f0 = tour_.succ(t1) == t2;
        const int t4 = nxt(t3, !f0);  // predecessor of t3 in the t1 -> t2 direction
        if (t4 == t2) continue;
        const double G = g1 + tour_.dist(t4, t3);
        // Flip t2 .. t4 (in the t1 -> t2 direction): edges (t1,t2),(t4,t3) -> (t1,t4),(t2,t3).
        if (f0) tour_.reverse(t2, t4);
        else tour_.reverse(t4, t2);
        // After the flip t4 is next to t1; find on which side (reverse may flip the complement).
        const bool fwd = tour_.succ(t1) == t4;
        for (const int t5 : neighbours_[t4]) {
          const double g2 = G - tour_.dist(t4, t5);
          if (g2 <= kEps) break;
          if (t5 == t1 || t5 == t3) continue;
          const int t6 = nxt(t5, !fwd);  // predecessor of t5 in the t1 -> t4 direction
          if (t6 == t4) continue;
          const double gain = g2 + tour_.dist(t6, t5) - tour_.dist(t6, t1);
          if (gain > kEps) {
            if (fwd) tour_.reverse(t4, t6);
            else tour_.reverse(t6, t4);
            touch(queue, {t1, t2, t3, t4, t5, t6});
            return true;
          }
        }
        // Undo the tentative flip: t4 .. t2 back.
        if (fwd) tour_.reverse(t4, t2);
        else tour_.reverse(t2, t4);
      }
    }
    return false;
  }

  bool two_opt(int a, std::vector<int>& queue) {
    for (int dir = 0; dir < 2; ++dir) {
      const int an = dir == 0 ? tour_.succ(a) : tour_.pred(a);
      const double d_a = tour_.dist(a, an);
      for (const int c : neighbours_[a]) {
        const double g1 = d_a - tour_.dist(a, c);
        if (g1 <= kEps) break;
        const int cn = dir == 0 ? tour_.succ(c) : tour_.pred(c);
        if (c == an || cn == a) continue;
        const double gain = g1 + tour_.dist(c, cn) - tour_.dist(an, cn);
        if (gain > kEps) {
          // Replace (a, an), (c, cn) by (a, c), (an, cn).
          if (dir == 0) tour_.reverse(an, c);
          else tour_.reverse(c, an);
          touch(queue, {a, an, c, cn});
          return true;
        }
      }
    }
    return false;
  }

  /// Moves the segment of `len` cities starting at `a` (following succ) between c and succ(c),
  /// keeping or reversing its orientation.
  bool or_opt(int a, std::vector<int>& queue) {
    for (int len = 1; len <= 3; ++len) {
      if (static_cast<std::size_t>(len) + 2 >= n_) break;
      const int s1 = a;
      int s2 = a;
      for (int k = 1; k < len; ++k) s2 = tour_.succ(s2);
      const int p = tour_.pred(s1), nx = tour_.succ(s2);
      const double removed = tour_.dist(p, s1) + tour_.dist(s2, nx) - tour_.dist(p, nx);
      if (removed <= kEps) continue;
      for (int end = 0; end < 2; ++end) {
        const int from = end == 0 ? s1 : s2;
        for (const int c : neighbours_[from]) {
          if (tour_.dist(from, c) >= removed) break;
          if (in_segment(c, s1, len) || c == p) continue;
          const int cn = tour_.succ(c);
          if (in_segment(cn, s1, len)) continue;
          // Insert between c and cn: c - s1 .. s2 - cn (keep) or c - s2 .. s1 - cn (reversed).
          const double keep = tour_.dist(c, s1) + tour_.dist(s2, cn) - tour_.dist(c, cn);
          const double rev = tour_.dist(c, s2) + tour_.dist(s1, cn) - tour_.dist(c, cn);
          const bool reversed = rev < keep;
          const double added = reversed ? rev : keep;
          if (removed - added > kEps) {
            move_segment(s1, s2, c, reversed);
            touch(queue, {p, nx, s1, s2, c, cn});
            return true;
          }
        }
      }
    }
    return false;
  }

  bool in_segment(int c, int s1, int len) const {
    const std::size_t off = (tour_.pos(c) + n_ - tour_.pos(s1)) % n_;
    return off < static_cast<std::size_t>(len);
  }

  /// Segment s1..s2 (succ order) goes between c and succ(c) by rebuilding the order array
  /// (O(n), cheap next to the search for n in the thousands).
  void move_segment(int s1, int s2, int c, bool reversed) {
    std::vector<int> seg;
    for (int x = s1;; x = tour_.succ(x)) {
      seg.push_back(x);
      if (x == s2) break;
    }
    if (reversed) std::reverse(seg.begin(), seg.end());
    std::vector<int> out;
    out.reserve(n_);
    const int start = tour_.succ(s2);
    for (int x = start;; x = tour_.succ(x)) {
      if (x == s1) break;  // walked the whole tour minus the segment
      out.push_back(x);
      if (x == c) out.insert(out.end(), seg.begin(), seg.end());
    }
    // Keep city 0 first for a canonical order.
    const auto zero = std::find(out.begin(), out.end(), 0);
    std::rotate(out.begin(), zero, out.end());
    tour_.set(out);
  }

  const double* d_;
  std::size_t n_;
  Tour tour_;
  std::vector<char> dont_look_;
  std::vector<std::vector<int>> neighbours_;
};

/// Double bridge on three cut points near a random city (local kick): A B C D -> A C B D.
std::vector<int> double_bridge(const std::vector<int>& order, std::mt19937_64& rng, std::vector<int>& touched) {
  const std::size_t n = order.size();
  const std::size_t span = std::min<std::size_t>(n - 1, 50);
  const std::size_t start = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  std::size_t cuts[3];
  std::uniform_int_distribution<std::size_t> off(1, span);
  for (auto& c : cuts) c = off(rng);
  std::sort(cuts, cuts + 3);
  if (cuts[0] == cuts[1] || cuts[1] == cuts[2]) return order;
  // Rotate so the kick region starts at index 0: A = [0, c0), B = [c0, c1), C = [c1, c2), D = rest.
  std::vector<int> r(order.begin() + static_cast<std::ptrdiff_t>(start), order.end());
  r.insert(r.end(), order.begin(), order.begin() + static_cast<std::ptrdiff_t>(start));
  std::vector<int> out(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(cuts[0]));
  out.insert(out.end(), r.begin() + static_cast<std::ptrdiff_t>(cuts[1]), r.begin() + static_cast<std::ptrdiff_t>(cuts[2]));
  out.insert(out.end(), r.begin() + static_cast<std::ptrdiff_t>(cuts[0]), r.begin() + static_cast<std::ptrdiff_t>(cuts[1]));
  out.insert(out.end(), r.begin() + static_cast<std::ptrdiff_t>(cuts[2]), r.end());
  touched.clear();
  for (const std::size_t c : {std::size_t{0}, cuts[0], cuts[1], cuts[2]}) {
    touched.push_back(r[c % n]);
    touched.push_back(r[(c + n - 1) % n]);
  }
  const auto zero = std::find(out.begin(), out.end(), 0);
  std::rotate(out.begin(), zero, out.end());
  return out;
}

}  // namespace

Status tsp_solve_cpu(const double* dist, std::size_t n, const TspOptions& options, int32_t* tour, TspResult* result,
                     CancelToken cancel, TspProgress progress, void* progress_user) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(); };
  TspResult r;
  if (n == 0) {
    *result = r;
    return Status::Ok();
  }
  if (n > static_cast<std::size_t>(INT32_MAX)) return Status::Error(StatusCode::kInvalidArgument, "too many cities");
  if (n <= 3) {
    for (std::size_t i = 0; i < n; ++i) tour[i] = static_cast<int32_t>(i);
    for (std::size_t i = 0; i < n; ++i) r.length += dist[i * n + (i + 1) % n];
    r.elapsed_ms = elapsed();
    *result = r;
    return Status::Ok();
  }
  Solver s(dist, n, options.neighbours);
  s.nearest_neighbour_start();
  std::vector<int> queue;
  s.enqueue_all(queue);
  s.wake_all();
  s.local_search(queue);
  std::vector<int> best = s.tour().order();
  double best_len = s.tour().length();
  std::mt19937_64 rng(options.seed);
  std::vector<int> touched;
  int64_t it = 0;
  for (; options.max_iterations <= 0 || it < options.max_iterations; ++it) {
    if ((it & 63) == 0) {
      if (cancel.cancelled()) break;
      const double ms = elapsed();
      if (options.time_limit_ms > 0 && ms >= options.time_limit_ms) break;
      if (progress != nullptr && (it & 1023) == 0) progress(progress_user, best_len, it, ms);
    }
    if (options.max_iterations <= 0 && options.time_limit_ms <= 0) break;  // no budget at all
    s.tour().set(double_bridge(best, rng, touched));
    for (const int c : touched) s.wake(c);
    queue.assign(touched.begin(), touched.end());
    s.local_search(queue);
    const double len = s.tour().length();
    if (len < best_len - kEps) ++r.improvements;
    if (len <= best_len + kEps) {
      best_len = std::min(best_len, len);
      best = s.tour().order();
    }
  }
  std::rotate(best.begin(), std::find(best.begin(), best.end(), 0), best.end());  // start at city 0
  for (std::size_t i = 0; i < n; ++i) tour[i] = best[i];
  r.length = best_len;
  r.iterations = it;
  r.elapsed_ms = elapsed();
  // Cancellation ends the search early but still returns the best tour found.
  r.cancelled = cancel.cancelled();
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
