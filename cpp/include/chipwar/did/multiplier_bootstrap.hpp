// Multiplier bootstrap of influence functions (R did's mboot / BMisc::multiplier_bootstrap): each replicate
// draws one i.i.d. multiplier per row and returns sqrt(n) * mean(v_i * inf_i) for every column.
#pragma once

#include <cstdint>

#include "chipwar/common.hpp"

namespace chipwar::did {

enum class Multiplier { Mammen = 0, Rademacher = 1 };

// replicates x K draws for replicates first, first + 1, ... Replicate b uses its own random stream derived from
// (seed, b) and replicates are computed in fixed blocks, so the draws are identical for any number of threads
// and for any split of the replicates into calls (which lets callers farm chunks out to an executor).
MatrixXd multiplier_bootstrap(const CRefMat& inf, int replicates, uint64_t seed, Multiplier kind, int64_t first = 0);

}  // namespace chipwar::did
