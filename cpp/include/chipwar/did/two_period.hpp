// Two-period DiD estimators for panel data (Sant'Anna & Zhao 2020), with their influence functions:
// the building block of every group-time ATT. They follow R DRDID's drdid_panel (doubly robust),
// std_ipw_did_panel (normalised IPW) and reg_did_panel (outcome regression) term by term.
#pragma once

#include <string>

#include "chipwar/common.hpp"

namespace chipwar::did {

enum class Method { DoublyRobust = 0, Ipw = 1, Regression = 2 };

struct TwoPeriodFit {
  double att = 0.0;
  VectorXd inf;  // influence function, one entry per row (scaled so that att - ATT ~ mean(inf))
  bool ps_converged = true;
  double max_pscore = 0.0;  // largest fitted propensity score (overlap diagnostics)
};

// dy: post-minus-base outcome change; d: 1 for the treated group, 0 for the comparison group; x: covariates
// with an intercept column first; w: sampling weights (normalised to mean 1 inside, as DRDID does).
TwoPeriodFit two_period_did(const CRefVec& dy, const CRefVec& d, const CRefMat& x, const CRefVec& w, Method method);

}  // namespace chipwar::did
