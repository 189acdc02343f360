// Weighted logistic regression by Newton-Raphson: the propensity-score model of the DR and IPW DiD estimators.
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::did {

struct LogitFit {
  VectorXd coef;
  VectorXd fitted;  // P(D = 1 | x) for every row
  bool converged = false;
  int iterations = 0;
};

// Maximum likelihood logit of d (0/1) on x (which carries its own intercept column), weights w.
// Converges when the relative change in deviance falls below tol (R's glm uses 1e-8; we go further so
// that estimates agree with R's to well below 1e-6). Throws Error if x'Wx is singular.
LogitFit logit(const CRefMat& x, const CRefVec& d, const CRefVec& w, int max_iter = 100, double tol = 1e-13);

}  // namespace chipwar::did
