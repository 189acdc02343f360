// Two-period DiD estimators for repeated cross sections (Sant'Anna & Zhao 2020), with their influence functions,
// one entry per observation. They follow R DRDID's drdid_rc (the locally efficient doubly robust estimator),
// std_ipw_did_rc (normalised IPW) and reg_did_rc (outcome regression) term by term.
#pragma once

#include "chipwar/common.hpp"
#include "chipwar/did/two_period.hpp"

namespace chipwar::did {

// y: outcome of each observation; post: 1 if observed in the later period, 0 in the base period; d: 1 for the
// treated group, 0 for the comparison group; x: covariates with an intercept column first; w: sampling weights
// (normalised to mean 1 inside, as DRDID does).
TwoPeriodFit two_period_rc(const CRefVec& y, const CRefVec& post, const CRefVec& d, const CRefMat& x,
                           const CRefVec& w, Method method);

}  // namespace chipwar::did
