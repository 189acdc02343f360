#include "chipwar/did/logit.hpp"

#include <cmath>

namespace chipwar::did {
namespace {

double deviance(const CRefVec& d, const VectorXd& p, const CRefVec& w) {
  double dev = 0.0;
  for (Index i = 0; i < d.size(); ++i) {
    const double pi = d[i] > 0.5 ? p[i] : 1.0 - p[i];
    dev -= 2.0 * w[i] * std::log(std::max(pi, 1e-300));
  }
  return dev;
}

VectorXd sigmoid(const VectorXd& eta) { return (1.0 / (1.0 + (-eta.array()).exp())).matrix(); }

}  // namespace

LogitFit logit(const CRefMat& x, const CRefVec& d, const CRefVec& w, int max_iter, double tol) {
  const Index k = x.cols();
  LogitFit fit;
  fit.coef = VectorXd::Zero(k);
  // Start from the constant model (glm's mustart = (w d + 0.5) / (w + 1) is close to this) so that the
  // first Newton step is already in the right region.
  VectorXd p = VectorXd::Constant(x.rows(), 0.5);
  double dev = deviance(d, p, w);
  for (int it = 1; it <= max_iter; ++it) {
    const VectorXd v = (w.array() * p.array() * (1.0 - p.array())).matrix();
    const MatrixXd xtwx = x.transpose() * (x.array().colwise() * v.array()).matrix();
    const VectorXd grad = x.transpose() * (w.array() * (d - p).array()).matrix();
    Eigen::LDLT<MatrixXd> ldlt(xtwx);
    if (ldlt.info() != Eigen::Success || !(ldlt.rcond() > 1e-14))
      throw Error("the propensity-score design is singular (covariates collinear or without variation in this group)");
    const VectorXd step = ldlt.solve(grad);
    // Step halving keeps Newton monotone when the start is far away (as glm's IRLS does on divergence).
    double scale = 1.0;
    VectorXd coef_new;
    VectorXd p_new;
    double dev_new = 0.0;
    for (int half = 0; half < 30; ++half) {
      coef_new = fit.coef + scale * step;
      p_new = sigmoid(x * coef_new);
      dev_new = deviance(d, p_new, w);
      if (std::isfinite(dev_new) && dev_new <= dev * (1.0 + 1e-12) + 1e-12) break;
      scale *= 0.5;
    }
    fit.coef = coef_new;
    p = p_new;
    fit.iterations = it;
    const double change = std::abs(dev_new - dev) / (std::abs(dev_new) + 0.1);
    dev = dev_new;
    if (change < tol || step.cwiseAbs().maxCoeff() * scale < 1e-12) {
      fit.converged = true;
      break;
    }
  }
  fit.fitted = p;
  return fit;
}

}  // namespace chipwar::did
