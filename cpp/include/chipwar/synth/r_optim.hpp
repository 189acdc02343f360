// The two local minimisers that R's Synth runs for V (through optimx, i.e. R's optim with its defaults): Nash's
// Nelder-Mead and Nash's variable-metric (BFGS) method with central finite-difference gradients (J. C. Nash 1990,
// "Compact Numerical Methods for Computers", algorithms 19 and 21, as documented for R's optim). Synth's published
// weights are where these searches stop, so v_search="synth" needs them as R runs them, not just any local method.
#pragma once

#include <functional>

#include "chipwar/common.hpp"

namespace chipwar::synth {

using Objective = std::function<double(const VectorXd&)>;

struct OptimResult {
  VectorXd x;
  double value = 0.0;
  int fn_count = 0;        // objective evaluations (optim's counts["function"]; gradient evaluations excluded)
  int gr_count = 0;        // gradient evaluations (BFGS only)
  bool converged = false;  // optim's convergence code 0 (no iteration cap, no failed shrink)
};

// optim's tolerances: reltol = sqrt(machine epsilon), abstol = -Inf.
inline constexpr double kOptimReltol = 1.4901161193847656e-08;

// optim(method = "Nelder-Mead"): reflection 1, contraction 1/2, expansion 2; the initial simplex steps each
// coordinate by a tenth of the largest |x0_i| (0.1 if x0 = 0); stops when the spread of values is within
// reltol * (|f(x0)| + reltol), after max_fn evaluations (default maxit 500), or when a shrink does not reduce the
// simplex. Non-finite values are replaced by 1e35.
OptimResult optim_nelder_mead(const Objective& f, const VectorXd& x0, int max_fn = 500, double reltol = kOptimReltol);

// optim(method = "BFGS") without an analytic gradient: central differences with step ndeps, backtracking line
// search (factor 0.2, Armijo constant 1e-4), inverse-Hessian update skipped (and reset) when it would lose positive
// definiteness, restarts from the identity; at most max_iter gradient evaluations (default maxit 100). Throws Error
// when f(x0) or a finite difference is not finite (optim stops with an error there).
OptimResult optim_bfgs(const Objective& f, const VectorXd& x0, int max_iter = 100, double reltol = kOptimReltol,
                       double ndeps = 1e-3);

}  // namespace chipwar::synth
