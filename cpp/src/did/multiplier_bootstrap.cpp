#include "chipwar/did/multiplier_bootstrap.hpp"

#include <cmath>
#include <vector>

namespace chipwar::did {
namespace {

// SplitMix64: a small, well-mixed generator; one independent stream per replicate.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

uint64_t stream_seed(uint64_t seed, uint64_t replicate) {
  SplitMix64 mix{seed ^ (0xD1B54A32D192ED03ULL * (replicate + 1))};
  return mix.next();
}

// Replicates per block: fixed, so that block boundaries (and hence results) never depend on the thread count.
constexpr Index kBlock = 32;
// Observations per slice of a block's multipliers: a multiple of 64 (one generator draw gives 64 Rademacher bits),
// so that the streams are the same as drawing all n at once, and small enough that a block holds 32 x 4096
// multipliers (1 MiB) instead of 32 x n.
constexpr Index kSlice = 4096;

}  // namespace

MatrixXd multiplier_bootstrap(const CRefMat& inf, int replicates, uint64_t seed, Multiplier kind, int64_t first) {
  if (first < 0) throw Error("the first bootstrap replicate index must be non-negative");
  if (replicates < 1) throw Error("the number of bootstrap replicates must be at least 1");
  const Index n = inf.rows();
  const Index k = inf.cols();
  if (n == 0) throw Error("multiplier bootstrap: no observations");
  // Mammen's two-point distribution: mean 0, variance 1, third moment 1.
  const double sqrt5 = std::sqrt(5.0);
  const double low = (1.0 - sqrt5) / 2.0;
  const double high = (1.0 + sqrt5) / 2.0;
  const double p_low = (sqrt5 + 1.0) / (2.0 * sqrt5);
  const Index b_total = replicates;
  const Index n_blocks = (b_total + kBlock - 1) / kBlock;
  MatrixXd out(b_total, k);
  const double scale = 1.0 / std::sqrt(static_cast<double>(n));
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index blk = 0; blk < n_blocks; ++blk) {
    const Index start = blk * kBlock;
    const Index rows = std::min(kBlock, b_total - start);
    std::vector<SplitMix64> rngs;
    for (Index r = 0; r < rows; ++r) rngs.push_back({stream_seed(seed, static_cast<uint64_t>(first + start + r))});
    MatrixXd acc = MatrixXd::Zero(rows, k);
    // Row-major so that each replicate's multipliers are contiguous as they are drawn.
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> v(rows, std::min(kSlice, n));
    for (Index i0 = 0; i0 < n; i0 += kSlice) {
      const Index len = std::min(kSlice, n - i0);
      for (Index r = 0; r < rows; ++r) {
        SplitMix64& rng = rngs[r];
        double* row = v.row(r).data();
        if (kind == Multiplier::Mammen) {
          for (Index i = 0; i < len; ++i) row[i] = rng.uniform() < p_low ? low : high;
        } else {
          // Rademacher: one fair bit per multiplier, 64 per draw of the generator.
          for (Index i = 0; i < len; i += 64) {
            const uint64_t bits = rng.next();
            const Index m = std::min<Index>(64, len - i);
            for (Index j = 0; j < m; ++j) row[i + j] = ((bits >> j) & 1ULL) ? 1.0 : -1.0;
          }
        }
      }
      acc.noalias() += v.leftCols(len) * inf.middleRows(i0, len);
    }
    out.middleRows(start, rows) = scale * acc;
  }
  return out;
}

}  // namespace chipwar::did
