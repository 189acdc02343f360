// Wild cluster bootstrap of one coefficient's t statistic in the closed form of Roodman, MacKinnon, Nielsen &
// Webb (2019): with cluster weights v, the bootstrap numerator is a'v and the bootstrap cluster scores are
// a o v - C v, so a replicate costs O(G^2) whatever the number of observations.
#pragma once

#include <cstdint>

#include "chipwar/common.hpp"

namespace chipwar::stats {

enum class WildWeights : int { rademacher = 0, webb = 1 };

// t*_b = a'v_b / sqrt(sum_g ((a o v_b - C v_b)_g)^2) for replicates b = first..first+count-1. Replicate b draws
// its weights from its own generator seeded by (seed, b), so results do not depend on threads or chunking.
VectorXd wild_bootstrap_t(const CRefVec& a, const CRefMat& c, int64_t first, int64_t count, WildWeights weights,
                          uint64_t seed);

}  // namespace chipwar::stats
