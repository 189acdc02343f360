// Poisson pseudo-maximum likelihood with high-dimensional fixed effects, by iteratively reweighted least
// squares on the demeaned working variables (the fixed effects are never formed as dummies).
#pragma once

#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/fe/fixed_effects.hpp"
#include "chipwar/glm/working.hpp"

namespace chipwar::glm {

struct PoissonOptions {
  double tol = 1e-8;          // stop when |dev - dev_old| / (0.1 w + |dev|) < tol, w the mean prior weight (fixest's
                              // criterion for unit weights, the same iterate for weights w and c w)
  int max_iter = 25;          // IRLS iterations (fixest's glm.iter)
  double fixef_tol = 1e-8;    // final tolerance of the demeaning; earlier iterations use a looser, adaptive one
  int fixef_max_iter = 10000;
  double collin_tol = 1e-10;  // see stats::independent_columns
  double absorbed_tol = 1e-10;  // a regressor keeping less than this share of its weighted sum of squares after
                                // demeaning is absorbed by the fixed effects
};

// Why a column of x was not estimated.
struct PoissonFit {
  std::vector<int> status;  // ColumnStatus per column of x
  VectorXd coef;            // kept columns
  MatrixXd x_demeaned;      // kept columns of x with the fixed effects projected out under the final weights
  MatrixXd bread;           // (X~' diag(w mu) X~)^{-1}: the inverse Hessian
  VectorXd eta;             // linear predictor (including the offset)
  VectorXd mu;              // exp(eta)
  double deviance = 0.0;
  double loglik = 0.0;
  double loglik_null = 0.0;  // intercept-only model (with the offset), the reference of fixest's pseudo-R2
  int iterations = 0;
  bool converged = false;
  bool fixef_converged = true;  // every demeaning reached its tolerance
};

// y >= 0 (n), x (n x k), optional prior weights and offset (n each, or null).
PoissonFit fit_poisson(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const double* weights,
                       const double* offset, const PoissonOptions& opt);
// float32 storage of x and y: read once into the kernel's float64 working copies, so no float64 copy of the
// inputs is made beside them.
PoissonFit fit_poisson(const CRefMatF& x, const CRefVecF& y, const fe::FixedEffects& fe, const double* weights,
                       const double* offset, const PoissonOptions& opt);

// sum w (y log mu - mu - log y!).
double poisson_loglik(const CRefVec& y, const CRefVec& mu, const double* weights);

// 2 * sum w (y log(y / mu) - (y - mu)), with 0 log 0 = 0.
double poisson_deviance(const CRefVec& y, const CRefVec& mu, const double* weights);

}  // namespace chipwar::glm
