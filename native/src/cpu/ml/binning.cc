// Feature binning (src/kernels/ml/binning.ts, same bounds and bins): quantile bins from the
// distinct values of an evenly spaced row sample, a bin for missing values after the value bins,
// categorical codes ordered by count with a shared "other" bin past max_bins - 1 codes.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>

#include "internal.h"

namespace waybill::ml::detail {
namespace {

double midpoint(double a, double b) {
  double m = (a + b) / 2;
  if (!std::isfinite(m)) m = a / 2 + b / 2;
  return m < b ? m : a;
}

/// binning.ts quantileBounds on sorted non-missing values.
std::vector<double> quantile_bounds(const std::vector<double>& sorted, int max_bins) {
  std::vector<double> distinct;
  std::vector<double> counts;
  for (const double v : sorted) {
    if (!distinct.empty() && distinct.back() == v) counts.back() += 1;
    else {
      distinct.push_back(v);
      counts.push_back(1);
    }
  }
  const std::size_t d = distinct.size();
  std::vector<double> upper;
  if (d <= static_cast<std::size_t>(max_bins)) {
    for (std::size_t i = 0; i + 1 < d; ++i) upper.push_back(midpoint(distinct[i], distinct[i + 1]));
    return upper;
  }
  double rest = static_cast<double>(sorted.size());
  int bins_left = max_bins;
  double open = 0;
  for (std::size_t i = 0; i + 1 < d && bins_left > 1; ++i) {
    open += counts[i];
    if (open >= rest / bins_left) {
      upper.push_back(midpoint(distinct[i], distinct[i + 1]));
      rest -= open;
      open = 0;
      --bins_left;
    }
  }
  return upper;
}

/// The smallest b with v <= upper[b], else upper.size() (binning.ts numericBin), branch-free: the
/// step is masked in, not chosen by a branch (a branch here mispredicts half the time).
int numeric_bin(const std::vector<double>& upper, double v) {
  const double* u = upper.data();
  std::size_t len = upper.size();
  if (len == 0) return 0;
  std::size_t lo = 0;
  while (len > 1) {
    const std::size_t half = len / 2;
    lo += half & (std::size_t{0} - static_cast<std::size_t>(u[lo + half - 1] < v));
    len -= half;
  }
  return static_cast<int>(lo) + (u[lo] < v ? 1 : 0);
}

/// numeric_bin of src[r * p] for r in [rb, re) into dst[r * p], NaN to `missing`: eight rows at a
/// time, whose searches (the same number of steps for every value) run interleaved, so the CPU
/// overlaps their loads instead of waiting on one chain of them.
void numeric_bins(const std::vector<double>& upper, const double* src, std::size_t p, std::size_t rb, std::size_t re,
                  int missing, uint8_t* dst) {
  constexpr std::size_t kLanes = 8;
  const double* u = upper.data();
  const std::size_t n = upper.size();
  std::size_t r = rb;
  if (n > 0) {
    for (; r + kLanes <= re; r += kLanes) {
      double v[kLanes];
      std::size_t lo[kLanes];
      for (std::size_t k = 0; k < kLanes; ++k) {
        v[k] = src[(r + k) * p];
        lo[k] = 0;
      }
      for (std::size_t len = n; len > 1;) {
        const std::size_t half = len / 2;
        for (std::size_t k = 0; k < kLanes; ++k)
          lo[k] += half & (std::size_t{0} - static_cast<std::size_t>(u[lo[k] + half - 1] < v[k]));
        len -= half;
      }
      for (std::size_t k = 0; k < kLanes; ++k) {
        const int b = static_cast<int>(lo[k]) + (u[lo[k]] < v[k] ? 1 : 0);
        dst[(r + k) * p] = static_cast<uint8_t>(std::isnan(v[k]) ? missing : b);
      }
    }
  }
  for (; r < re; ++r) {
    const double v = src[r * p];
    dst[r * p] = static_cast<uint8_t>(std::isnan(v) ? missing : numeric_bin(upper, v));
  }
}

bool is_category_code(double v) { return v >= 0 && v <= 2147483647.0 && v == std::floor(v); }

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Status bin_features(const double* features, std::size_t rows, std::size_t p, const std::vector<bool>& categorical,
                    int max_bins, std::size_t sample_size, BinnedMatrix* out, int threads) {
  out->mappers.assign(p, FeatureBins{});
  const std::size_t sample_rows = std::min(rows, sample_size);
  // The numeric features' sample, column by column: sampled row k is row floor(k * rows /
  // sample_rows). Threads copy blocks of sampled rows (each row's values are contiguous), so the
  // matrix is read once rather than once per feature with a cache miss per value; at most
  // kSampleValues values are held at a time (chunks of features).
  std::vector<std::size_t> numeric;
  for (std::size_t f = 0; f < p; ++f)
    if (!categorical[f]) numeric.push_back(f);
  constexpr std::size_t kSampleValues = std::size_t{1} << 23;  // 64 MiB of doubles
  const std::size_t chunk = std::max<std::size_t>(1, kSampleValues / std::max<std::size_t>(1, sample_rows));
  std::vector<double> sample;
  auto sample_row = [&](std::size_t k) {
    return sample_rows == rows ? k
                               : static_cast<std::size_t>(std::floor(static_cast<double>(k) * static_cast<double>(rows) /
                                                                     static_cast<double>(sample_rows)));
  };
  for (std::size_t c0 = 0; c0 < numeric.size(); c0 += chunk) {
    const std::size_t c1 = std::min(numeric.size(), c0 + chunk);
    sample.resize((c1 - c0) * sample_rows);
    parallel_blocks(threads, sample_rows, [&](std::size_t kb, std::size_t ke) {
      for (std::size_t k = kb; k < ke; ++k) {
        const double* row = features + sample_row(k) * p;
        for (std::size_t j = c0; j < c1; ++j) sample[(j - c0) * sample_rows + k] = row[numeric[j]];
      }
    });
    parallel_blocks(threads, c1 - c0, [&](std::size_t jb, std::size_t je) {
      std::vector<double> vals;
      for (std::size_t j = jb; j < je; ++j) {
        FeatureBins& m = out->mappers[numeric[c0 + j]];
        vals.clear();
        const double* col = sample.data() + j * sample_rows;
        for (std::size_t k = 0; k < sample_rows; ++k)
          if (!std::isnan(col[k])) vals.push_back(col[k]);
        js_sort(vals.data(), vals.data() + vals.size());
        m.upper = quantile_bounds(vals, max_bins);
        m.num_value_bins = static_cast<int>(m.upper.size()) + 1;
      }
    });
  }
  std::vector<double>().swap(sample);
  // Category codes: features are independent, so threads take blocks of them; the error of the
  // first failing feature (in feature order) is the one returned.
  std::vector<std::size_t> cats;
  for (std::size_t f = 0; f < p; ++f)
    if (categorical[f]) cats.push_back(f);
  std::vector<Status> errors(p);
  parallel_blocks(threads, cats.size(), [&](std::size_t cb, std::size_t ce) {
    for (std::size_t c = cb; c < ce; ++c) {
      const std::size_t f = cats[c];
      FeatureBins& m = out->mappers[f];
      // Counts of codes below kDenseCodes in a table, larger codes in a hash map.
      constexpr int32_t kDenseCodes = 1 << 16;
      std::vector<double> small;
      std::unordered_map<int32_t, double> counts;
      bool bad = false;
      for (std::size_t r = 0; r < rows; ++r) {
        const double v = features[r * p + f];
        if (std::isnan(v)) continue;
        if (!is_category_code(v)) {
          errors[f] = Status::Error(StatusCode::kInvalidArgument, "feature " + std::to_string(f) +
                                                                      " is categorical: value " + number_text(v) +
                                                                      " at row " + std::to_string(r) +
                                                                      " is not an integer code >= 0");
          bad = true;
          break;
        }
        const int32_t code = static_cast<int32_t>(v);
        if (code < kDenseCodes) {
          if (static_cast<std::size_t>(code) >= small.size()) small.resize(static_cast<std::size_t>(code) + 1, 0.0);
          small[static_cast<std::size_t>(code)] += 1;
        } else {
          counts[code] += 1;
        }
      }
      if (bad) continue;
      std::vector<std::pair<double, int32_t>> codes;
      codes.reserve(counts.size() + small.size());
      for (std::size_t code = 0; code < small.size(); ++code)
        if (small[code] > 0) codes.emplace_back(small[code], static_cast<int32_t>(code));
      for (const auto& [code, cnt] : counts) codes.emplace_back(cnt, code);
      std::sort(codes.begin(), codes.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      m.categorical = true;
      m.has_other = codes.size() > static_cast<std::size_t>(max_bins);
      const std::size_t own = m.has_other ? static_cast<std::size_t>(max_bins - 1) : codes.size();
      for (std::size_t k = 0; k < own; ++k) m.categories.push_back(codes[k].second);
      m.num_value_bins = std::max<int>(1, static_cast<int>(own) + (m.has_other ? 1 : 0));
    }
  });
  for (const Status& e : errors)
    if (!e.ok()) return e;
  out->offsets.assign(p + 1, 0);
  for (std::size_t f = 0; f < p; ++f) out->offsets[f + 1] = out->offsets[f] + out->mappers[f].num_value_bins + 1;

  // Per feature, what a value maps through: the numeric bounds, or the category codes (a dense
  // table when the codes are small, else a hash map).
  struct Lookup {
    int missing = 0, unseen = 0;
    int32_t max_code = -1;
    bool use_dense = false;
    std::vector<int> dense;
    std::unordered_map<int32_t, int> map;
  };
  std::vector<Lookup> look(p);
  for (std::size_t f = 0; f < p; ++f) {
    const FeatureBins& m = out->mappers[f];
    Lookup& l = look[f];
    l.missing = m.num_value_bins;
    l.unseen = m.has_other ? m.num_value_bins - 1 : l.missing;
    for (const int32_t c : m.categories) l.max_code = std::max(l.max_code, c);
    l.use_dense = m.categorical && l.max_code < (1 << 20);
    if (l.use_dense) {
      l.dense.assign(static_cast<std::size_t>(l.max_code) + 1, -1);
      for (std::size_t b = 0; b < m.categories.size(); ++b)
        l.dense[static_cast<std::size_t>(m.categories[b])] = static_cast<int>(b);
    } else {
      for (std::size_t b = 0; b < m.categories.size(); ++b) l.map[m.categories[b]] = static_cast<int>(b);
    }
  }
  out->bins.assign(rows * p, 0);
  // Rows are independent: threads take blocks of rows. Within a block, one feature at a time:
  // its bounds stay in the L1 cache and the rows' binary searches do not wait on each other (a
  // row at a time keeps every feature's bounds in play and each search waits on L2 loads; a
  // whole column at a time reads the row-major matrix p times).
  constexpr std::size_t kBlockRows = 256;
  parallel_blocks(threads, (rows + kBlockRows - 1) / kBlockRows, [&](std::size_t bb, std::size_t be) {
    for (std::size_t blk = bb; blk < be; ++blk) {
      const std::size_t rb = blk * kBlockRows, re = std::min(rows, rb + kBlockRows);
      for (std::size_t f = 0; f < p; ++f) {
        const FeatureBins& m = out->mappers[f];
        const Lookup& l = look[f];
        uint8_t* dst = out->bins.data() + f;
        const double* src = features + f;
        if (!m.categorical) {
          numeric_bins(m.upper, src, p, rb, re, l.missing, dst);
          continue;
        }
        for (std::size_t r = rb; r < re; ++r) {
          const double v = src[r * p];
          int b;
          if (std::isnan(v)) b = l.missing;
          else if (m.categorical) {
            if (l.use_dense) {
              const int32_t code = static_cast<int32_t>(v);
              b = code <= l.max_code && l.dense[static_cast<std::size_t>(code)] >= 0
                      ? l.dense[static_cast<std::size_t>(code)]
                      : l.unseen;
            } else {
              const auto it = l.map.find(static_cast<int32_t>(v));
              b = it == l.map.end() ? l.unseen : it->second;
            }
          } else b = numeric_bin(m.upper, v);
          dst[r * p] = static_cast<uint8_t>(b);
        }
      }
    }
  });
  return Status::Ok();
}

std::vector<int32_t> sample_without_replacement(Mulberry32& rng, int32_t n, int32_t k) {
  std::vector<int32_t> idx(static_cast<std::size_t>(n));
  for (int32_t i = 0; i < n; ++i) idx[i] = i;
  for (int32_t j = 0; j < k; ++j) {
    const int32_t r = j + static_cast<int32_t>(std::floor(rng() * (n - j)));
    std::swap(idx[j], idx[r]);
  }
  idx.resize(static_cast<std::size_t>(k));
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace waybill::ml::detail
