// Conformal inference for synthetic control (Chernozhukov, Wuthrich & Zhu 2021): test H0: effect = theta in one
// post-period by refitting the weights on the pre-periods plus that period with the null imposed, and ranking the
// absolute residual of the tested period among all of them (the moving-block permutation p-value for one period).
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::synth {

// y0: (t0 + 1) x J donor outcomes (pre-periods, then the tested period); y1: the treated unit's outcomes in the same
// periods. Returns the p-value for every theta in `grid` (computed in parallel, independent of the thread count).
VectorXd conformal_pvalues(const CRefMat& y0, const CRefVec& y1, const CRefVec& grid);

}  // namespace chipwar::synth
