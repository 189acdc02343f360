// Pieces shared by the iteratively reweighted regressions of the GLM kernels (Poisson IRLS, separation check):
// demeaning under changing weights, the choice of estimable regressors, and a weighted least-squares solve.
#pragma once

#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/fe/fixed_effects.hpp"

namespace chipwar::glm {

// Why a column of x was not estimated.
enum class ColumnStatus : int { kept = 0, absorbed = 1, collinear = 2 };

// Demeans in place under the given weights, remembering whether every call converged. Because the projection
// only depends on a column modulo the fixed-effect space, callers pass the previous demeaned values (plus the
// change) as a warm start.
class WorkingDemeaner {
 public:
  WorkingDemeaner(const fe::FixedEffects& fe, int max_iter) : fe_(fe), max_iter_(max_iter) {}
  WorkingDemeaner(fe::SortedFixedEffects fe, int max_iter) : fe_(std::move(fe)), max_iter_(max_iter) {}
  // In place, without copies of m (w: n weights).
  void run(Eigen::Ref<MatrixXd> m, const double* w, double tol);
  void run(MatrixXd& m, const VectorXd& w, double tol) { run(Eigen::Ref<MatrixXd>(m), w.data(), tol); }
  void run(VectorXd& v, const VectorXd& w, double tol);
  bool all_converged() const { return all_converged_; }

 private:
  fe::SortedFixedEffects fe_;  // the working order is built once for every IRLS step
  int max_iter_;
  bool all_converged_ = true;
};

// Per column of x: absorbed by the fixed effects (at most absorbed_tol of its weighted sum of squares survives
// demeaning; only when there are fixed effects), collinear with earlier kept columns, or kept. sum_sq_before[j] is
// sum_i w_i x_ij^2, gram the weighted cross products of the demeaned columns (X~' W X~), so no column is copied.
std::vector<int> column_status(const VectorXd& sum_sq_before, const MatrixXd& gram, bool has_fixed_effects,
                               double absorbed_tol, double collin_tol);

// sum_i w_i x_ij^2 for every column j.
VectorXd weighted_sum_squares(const CRefMat& x, const CRefVec& w);

// b = (X' W X)^{-1} X' W z for a full-rank X (throws Error otherwise).
VectorXd weighted_solve(const CRefMat& x, const CRefVec& z, const CRefVec& w);

}  // namespace chipwar::glm
