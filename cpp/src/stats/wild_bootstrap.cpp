#include "chipwar/stats/wild_bootstrap.hpp"

#include <cmath>

namespace chipwar::stats {

namespace {

// SplitMix64: decorrelates the per-replicate seeds (seed, b) before they seed the generator.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A SplitMix64 stream: cheap to start per replicate (unlike a Mersenne Twister), good enough for signs.
struct Stream {
  uint64_t state;
  uint64_t next() { return mix(state += 0x9e3779b97f4a7c15ULL); }
};

void draw(VectorXd& v, Stream& rng, WildWeights weights) {
  // Webb's six points: +-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6.
  static const double webb[6] = {-std::sqrt(1.5), -1.0, -std::sqrt(0.5), std::sqrt(0.5), 1.0, std::sqrt(1.5)};
  if (weights == WildWeights::rademacher) {
    uint64_t bits = 0;
    for (Index g = 0; g < v.size(); ++g) {
      if (g % 64 == 0) bits = rng.next();  // one word gives 64 signs
      v[g] = (bits >> (g % 64)) & 1U ? 1.0 : -1.0;
    }
  } else {
    for (Index g = 0; g < v.size(); ++g) v[g] = webb[rng.next() % 6];
  }
}

}  // namespace

VectorXd wild_bootstrap_t(const CRefVec& a, const CRefMat& c, int64_t first, int64_t count, WildWeights weights,
                          uint64_t seed) {
  const Index g = a.size();
  if (c.rows() != g || c.cols() != g) throw Error("wild bootstrap: C must be G x G with G = length of a");
  if (count < 0) throw Error("wild bootstrap: negative number of replicates");
  VectorXd out(count);
#pragma omp parallel num_threads(num_threads())
  {
    VectorXd v(g), s(g);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < count; ++b) {
      Stream rng{mix(seed ^ mix(static_cast<uint64_t>(first + b)))};
      draw(v, rng, weights);
      s.noalias() = a.cwiseProduct(v) - c * v;
      const double denom = std::sqrt(s.squaredNorm());
      out[b] = denom > 0.0 ? a.dot(v) / denom : 0.0;
    }
  }
  return out;
}

}  // namespace chipwar::stats
