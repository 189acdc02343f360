// Frank-Wolfe for the regularised simplex weights of synthetic difference-in-differences
// (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021), following the conventions of the R package synthdid.
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct FwFit {
  VectorXd weights;
  int iterations = 0;
  bool converged = true;  // stopped because the decrease fell below min_decrease^2, not at max_iter
};

// y is rows x (k + 1): the first k columns are the candidates, the last is the target. Minimises
//   zeta^2 ||w||^2 + ||(A w - b)||^2 / rows   over the simplex,  A = y[:, :k], b = y[:, k],
// with all columns centred first when `intercept` (so a constant shift is free). Exact line search along the
// Frank-Wolfe direction; stops when an iteration lowers the objective by at most min_decrease^2.
FwFit fw_simplex_weights(const CRefMat& y, double zeta, bool intercept, const VectorXd& start, double min_decrease,
                         int max_iter);

// synthdid's sparsify step: weights at most max/4 become zero, the rest are renormalised.
VectorXd sparsify_weights(const VectorXd& w);

}  // namespace chipwar::synth
