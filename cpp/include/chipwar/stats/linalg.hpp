// Least squares building blocks shared by every linear estimator: weighted cross-products, in-order
// collinearity detection, OLS on (already demeaned) data, and sums of rows by group.
#pragma once

#include <vector>

#include "chipwar/common.hpp"

namespace chipwar::stats {

// X' W X (W = diag(w), or the identity when w is null).
MatrixXd weighted_crossprod(const CRefMat& x, const double* w);

// Columns to keep, in order: column j is dropped when its squared residual on the kept earlier columns is
// below tol times its own squared norm (the convention of R's lm and fixest: later duplicates go).
std::vector<uint8_t> independent_columns(const MatrixXd& gram, double tol);

struct OlsFit {
  std::vector<uint8_t> kept;  // per column of x
  VectorXd coef;              // for the kept columns
  MatrixXd bread;             // (X_k' W X_k)^{-1}
  VectorXd resid;             // y - X_k b
};
OlsFit ols(const CRefMat& x, const CRefVec& y, const double* w, double collin_tol);

// Inverse of a symmetric positive definite matrix (throws Error if it is not).
MatrixXd spd_inverse(const MatrixXd& a);

// Row sums of m within groups 0..n_groups-1 (n x k -> n_groups x k).
MatrixXd group_sums(const CRefMat& m, const int32_t* codes, int32_t n_groups);

}  // namespace chipwar::stats
