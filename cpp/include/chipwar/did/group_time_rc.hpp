// Group-time ATTs of Callaway & Sant'Anna (2021) from repeated cross sections (or an unbalanced panel treated as
// such): one two-period repeated-cross-section DiD per (g, t) cell on the observations of the two periods,
// computed in parallel. Mirrors R did's compute.att_gt with panel = FALSE.
#pragma once

#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/did/group_time.hpp"

namespace chipwar::did {

struct GroupTimeRcInput {
  CRefVec y;           // N outcomes, one per observation
  Eigen::Ref<const VectorXi> period;  // N period index (column of the cell definitions) of each observation
  CRefVec cohort;      // N first treated period of the observation's group, +inf for never treated
  CRefMat covariates;  // N x k, the observation's own covariates; k = 0 for none
  CRefVec weights;     // N sampling weights
  Method method;
};

// Influence functions are N x cells on the scale of R did (V = inf' inf / N^2). Throws Error naming the first
// cell that failed (a group-period cell without observations, a singular design).
GroupTimeResult group_time_att_rc(const GroupTimeRcInput& in, const std::vector<GroupTimeCell>& cells);

}  // namespace chipwar::did
