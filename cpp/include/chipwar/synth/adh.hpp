// Abadie-Diamond-Hainmueller synthetic control with predictor weights: for a diagonal V (summing to one) the donor
// weights solve min (x1 - X0 w)' V (x1 - X0 w) on the simplex; V is chosen to minimise the pre-period MSPE of the
// outcome, (1/T) ||z1 - Z0 w(V)||^2, by L-BFGS (Ceres) on a softmax parametrisation from several starts.
#pragma once

#include <optional>
#include <vector>

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct AdhProblem {
  MatrixXd x0;  // k predictors x J donors (rows already standardised)
  VectorXd x1;  // k predictors of the treated unit
  MatrixXd z0;  // T pre-periods x J donors (outcomes in the optimisation window)
  VectorXd z1;  // T outcomes of the treated unit
};

struct AdhFit {
  VectorXd w;
  VectorXd v;
  double mspe = 0.0;       // outer loss (1/T) ||z1 - Z0 w||^2
  bool converged = true;   // every inner QP converged
  int best_start = -1;     // which start gave the kept V (-1 when V was given)
};

// How V is searched: `global` runs L-BFGS from every start of adh_starts and keeps the lowest MSPE; `synth` follows
// R's Synth (adh_fit_synth). The outer problem has local minima, so `synth` can stop at a higher MSPE than `global`.
enum class VSearch { global, synth };

// Donor weights for a given V.
AdhFit adh_fixed_v(const AdhProblem& p, const VectorXd& v);

// The starting V's: equal weights, the regression-based start (squared coefficients of a regression of the window's
// outcomes on the predictors across all units, as in Abadie et al.'s Synth), each predictor dominant in turn, then
// `random_starts` fixed pseudo-random points of the simplex (the outer problem has local minima).
MatrixXd adh_starts(const AdhProblem& p, int random_starts);

// The regression-based start alone (none when the regression of the window's outcomes on the predictors is rank
// deficient, e.g. with fewer units than predictors plus one).
std::optional<VectorXd> adh_regression_start(const AdhProblem& p);

// Nested optimisation from every row of `starts`; the V with the smallest outer loss is kept (ties: first start).
AdhFit adh_fit(const AdhProblem& p, const MatrixXd& starts, int max_iter);

// R Synth's search: V = |x| / sum |x|; from equal weights and from the regression start, optim's Nelder-Mead and
// BFGS (optimx with Synth's default methods, R's default controls), the lower value of each start kept and the
// regression start's result kept unless the equal-weights one is strictly lower. Inner problems solved exactly.
AdhFit adh_fit_synth(const AdhProblem& p);

// adh_fit (or adh_fit_synth, which ignores max_iter and random_starts) for many problems in parallel (placebos,
// leave-one-out); each result depends only on its own problem.
std::vector<AdhFit> adh_fit_many(const std::vector<AdhProblem>& problems, const std::vector<VectorXd>& fixed_v,
                                 int max_iter, int random_starts, VSearch search = VSearch::global);

}  // namespace chipwar::synth
