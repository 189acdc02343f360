// Doubly robust triple differences for staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025), as R's
// triplediff computes them on a balanced panel. Units belong to a cohort S (the period treatment is enabled for
// their group; +inf never) and a partition Q (1 eligible, 0 not). Each ATT(g, t) for the S = g, Q = 1 units is
//   DiD(S=g,Q=1 vs S=g,Q=0) + DiD(S=g,Q=1 vs S=c,Q=1) - DiD(S=g,Q=1 vs S=c,Q=0)
// where every DiD is the two-period estimator of two_period.hpp (DR, IPW or regression) fitted on its own pair
// of subgroups. With several comparison cohorts c (not-yet-treated), the per-cohort DDDs are combined with the
// efficient GMM weights Omega^{-1} 1 / (1' Omega^{-1} 1), Omega their influence-function covariance.
#pragma once

#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/did/group_time.hpp"

namespace chipwar::did {

struct TripleInput {
  CRefMat y;           // n x T outcomes, units by periods
  CRefVec cohort;      // n first enabled period, +inf for never
  CRefVec partition;   // n, 1 eligible / 0 ineligible
  CRefMat covariates;  // (n * T) x k, period-major (row p * n + i); k = 0 for none
  CRefVec weights;     // n sampling weights
  Method method;
};

struct TripleResult {
  GroupTimeResult cells;          // att, inf (n x cells, R did's scale), n_treated = S=g,Q=1 units, n_control
  VectorXi n_comparison_cohorts;  // comparison cohorts each cell combined (1: no GMM step)
};

// Throws Error("cell j: ...") for the first cell that cannot be estimated (an empty subgroup, singular design).
TripleResult triple_group_time(const TripleInput& in, const std::vector<GroupTimeCell>& cells);

}  // namespace chipwar::did
