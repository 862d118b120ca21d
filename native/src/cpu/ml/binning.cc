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

/// The smallest b with v <= upper[b], else upper.size() (binning.ts numericBin), branch-free.
int numeric_bin(const std::vector<double>& upper, double v) {
  const double* base = upper.data();
  std::size_t len = upper.size();
  if (len == 0) return 0;
  while (len > 1) {
    const std::size_t half = len / 2;
    base = base[half - 1] < v ? base + half : base;
    len -= half;
  }
  return static_cast<int>(base - upper.data()) + (*base < v ? 1 : 0);
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
  std::vector<double> vals;
  for (std::size_t f = 0; f < p; ++f) {
    FeatureBins& m = out->mappers[f];
    if (categorical[f]) {
      std::unordered_map<int32_t, double> counts;
      for (std::size_t r = 0; r < rows; ++r) {
        const double v = features[r * p + f];
        if (std::isnan(v)) continue;
        if (!is_category_code(v)) {
          return Status::Error(StatusCode::kInvalidArgument, "feature " + std::to_string(f) + " is categorical: value " +
                                                                 number_text(v) + " at row " + std::to_string(r) +
                                                                 " is not an integer code >= 0");
        }
        counts[static_cast<int32_t>(v)] += 1;
      }
      std::vector<std::pair<double, int32_t>> codes;
      codes.reserve(counts.size());
      for (const auto& [code, c] : counts) codes.emplace_back(c, code);
      std::sort(codes.begin(), codes.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      m.categorical = true;
      m.has_other = codes.size() > static_cast<std::size_t>(max_bins);
      const std::size_t own = m.has_other ? static_cast<std::size_t>(max_bins - 1) : codes.size();
      for (std::size_t k = 0; k < own; ++k) m.categories.push_back(codes[k].second);
      m.num_value_bins = std::max<int>(1, static_cast<int>(own) + (m.has_other ? 1 : 0));
    } else {
      vals.clear();
      for (std::size_t k = 0; k < sample_rows; ++k) {
        const std::size_t r = sample_rows == rows
                                  ? k
                                  : static_cast<std::size_t>(std::floor(static_cast<double>(k) * static_cast<double>(rows) /
                                                                        static_cast<double>(sample_rows)));
        const double v = features[r * p + f];
        if (!std::isnan(v)) vals.push_back(v);
      }
      js_sort(vals.data(), vals.data() + vals.size());
      m.upper = quantile_bounds(vals, max_bins);
      m.num_value_bins = static_cast<int>(m.upper.size()) + 1;
    }
  }
  out->offsets.assign(p + 1, 0);
  for (std::size_t f = 0; f < p; ++f) out->offsets[f + 1] = out->offsets[f] + out->mappers[f].num_value_bins + 1;
  out->bins.assign(rows * p, 0);
  // Columns are independent: threads take blocks of features.
  parallel_blocks(threads, p, [&](std::size_t fb, std::size_t fe) {
    for (std::size_t f = fb; f < fe; ++f) {
      const FeatureBins& m = out->mappers[f];
      const int missing = m.num_value_bins;
      const int unseen = m.has_other ? m.num_value_bins - 1 : missing;
      // Categorical codes: a dense table when the codes are small, else a hash map.
      int32_t max_code = -1;
      for (const int32_t c : m.categories) max_code = std::max(max_code, c);
      std::vector<int> dense;
      std::unordered_map<int32_t, int> lookup;
      const bool use_dense = m.categorical && max_code < (1 << 20);
      if (use_dense) {
        dense.assign(static_cast<std::size_t>(max_code) + 1, -1);
        for (std::size_t b = 0; b < m.categories.size(); ++b) dense[static_cast<std::size_t>(m.categories[b])] = static_cast<int>(b);
      } else {
        for (std::size_t b = 0; b < m.categories.size(); ++b) lookup[m.categories[b]] = static_cast<int>(b);
      }
      uint8_t* col = out->bins.data() + f;
      for (std::size_t r = 0; r < rows; ++r) {
        const double v = features[r * p + f];
        int b;
        if (std::isnan(v)) b = missing;
        else if (m.categorical) {
          if (use_dense) {
            const int32_t code = static_cast<int32_t>(v);
            b = code <= max_code && dense[static_cast<std::size_t>(code)] >= 0 ? dense[static_cast<std::size_t>(code)] : unseen;
          } else {
            const auto it = lookup.find(static_cast<int32_t>(v));
            b = it == lookup.end() ? unseen : it->second;
          }
        } else b = numeric_bin(m.upper, v);
        col[r * p] = static_cast<uint8_t>(b);
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
