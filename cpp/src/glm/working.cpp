#include "chipwar/glm/working.hpp"

#include "chipwar/stats/linalg.hpp"

namespace chipwar::glm {

void WorkingDemeaner::run(MatrixXd& m, const VectorXd& w, double tol) {
  if (fe_.n_fe() == 0 || m.cols() == 0) return;
  auto res = fe::demean(m, fe_, w.data(), fe::DemeanOptions{tol, max_iter_});
  for (bool c : res.converged) all_converged_ = all_converged_ && c;
  m = std::move(res.values);
}

void WorkingDemeaner::run(VectorXd& v, const VectorXd& w, double tol) {
  MatrixXd m = v;
  run(m, w, tol);
  v = m.col(0);
}

std::vector<int> column_status(const CRefMat& x, const CRefMat& xt, const VectorXd& w, bool has_fixed_effects,
                               double absorbed_tol, double collin_tol) {
  const Index k = x.cols();
  std::vector<int> status(k, static_cast<int>(ColumnStatus::kept));
  std::vector<Index> candidates;
  for (Index j = 0; j < k; ++j) {
    const double before = w.dot(x.col(j).cwiseAbs2());
    const double after = w.dot(xt.col(j).cwiseAbs2());
    if (has_fixed_effects && !(after > absorbed_tol * before)) {
      status[j] = static_cast<int>(ColumnStatus::absorbed);
    } else {
      candidates.push_back(j);
    }
  }
  const MatrixXd sub = xt(Eigen::all, candidates);
  const auto keep = stats::independent_columns(stats::weighted_crossprod(sub, w.data()), collin_tol);
  for (size_t a = 0; a < candidates.size(); ++a)
    if (!keep[a]) status[candidates[a]] = static_cast<int>(ColumnStatus::collinear);
  return status;
}

VectorXd weighted_solve(const CRefMat& x, const CRefVec& z, const VectorXd& w) {
  if (x.cols() == 0) return VectorXd(0);
  Eigen::LLT<MatrixXd> llt(stats::weighted_crossprod(x, w.data()));
  if (llt.info() != Eigen::Success) throw Error("weighted least squares: the regressors are collinear");
  return llt.solve(x.transpose() * w.cwiseProduct(z));
}

}  // namespace chipwar::glm
