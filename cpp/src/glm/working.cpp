#include "chipwar/glm/working.hpp"

#include "chipwar/stats/linalg.hpp"

namespace chipwar::glm {

void WorkingDemeaner::run(Eigen::Ref<MatrixXd> m, const double* w, double tol) {
  if (fe_.n_fe() == 0 || m.cols() == 0) return;
  const auto stats = fe::demean_in_place(m, fe_, w, fe::DemeanOptions{tol, max_iter_});
  for (bool c : stats.converged) all_converged_ = all_converged_ && c;
}

void WorkingDemeaner::run(VectorXd& v, const VectorXd& w, double tol) {
  run(Eigen::Map<MatrixXd>(v.data(), v.size(), 1), w.data(), tol);
}

std::vector<int> column_status(const VectorXd& sum_sq_before, const MatrixXd& gram, bool has_fixed_effects,
                               double absorbed_tol, double collin_tol) {
  const Index k = gram.rows();
  std::vector<int> status(k, static_cast<int>(ColumnStatus::kept));
  std::vector<Index> candidates;
  for (Index j = 0; j < k; ++j) {
    if (has_fixed_effects && !(gram(j, j) > absorbed_tol * sum_sq_before[j])) {
      status[j] = static_cast<int>(ColumnStatus::absorbed);
    } else {
      candidates.push_back(j);
    }
  }
  const auto keep = stats::independent_columns(gram(candidates, candidates), collin_tol);
  for (size_t a = 0; a < candidates.size(); ++a)
    if (!keep[a]) status[candidates[a]] = static_cast<int>(ColumnStatus::collinear);
  return status;
}

VectorXd weighted_sum_squares(const CRefMat& x, const CRefVec& w) {
  VectorXd out(x.cols());
  for (Index j = 0; j < x.cols(); ++j) out[j] = w.dot(x.col(j).cwiseAbs2());
  return out;
}

VectorXd weighted_solve(const CRefMat& x, const CRefVec& z, const CRefVec& w) {
  if (x.cols() == 0) return VectorXd(0);
  Eigen::LLT<MatrixXd> llt(stats::weighted_crossprod(x, w.data()));
  if (llt.info() != Eigen::Success) throw Error("weighted least squares: the regressors are collinear");
  VectorXd xwz(x.cols());  // X' W z column by column: no n-vector temporary
  for (Index j = 0; j < x.cols(); ++j) xwz[j] = (x.col(j).array() * w.array() * z.array()).sum();
  return llt.solve(xwz);
}

}  // namespace chipwar::glm
