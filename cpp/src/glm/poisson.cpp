#include "chipwar/glm/poisson.hpp"

#include <algorithm>
#include <cmath>

#include "chipwar/glm/working.hpp"
#include "chipwar/stats/linalg.hpp"

namespace chipwar::glm {

double poisson_deviance(const CRefVec& y, const CRefVec& mu, const double* weights) {
  double dev = 0.0;
  for (Index i = 0; i < y.size(); ++i) {
    const double yi = y[i];
    const double term = (yi > 0.0 ? yi * std::log(yi / mu[i]) : 0.0) - (yi - mu[i]);
    dev += (weights ? weights[i] : 1.0) * term;
  }
  return 2.0 * dev;
}

double poisson_loglik(const CRefVec& y, const CRefVec& mu, const double* weights) {
  double ll = 0.0;
  for (Index i = 0; i < y.size(); ++i) {
    const double yi = y[i];
    const double term = (yi > 0.0 ? yi * std::log(mu[i]) : 0.0) - mu[i] - std::lgamma(yi + 1.0);
    ll += (weights ? weights[i] : 1.0) * term;
  }
  return ll;
}

namespace {

// The demeaning only has to be as precise as the current IRLS step: loose while the deviance still moves a lot,
// the user's tolerance once it settles (as ppmlhdfe does).
double inner_tolerance(double rel_change, const PoissonOptions& opt) {
  return std::max(opt.fixef_tol, std::min(1e-4, 0.1 * rel_change));
}

void check_inputs(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe) {
  const Index n = y.size();
  if (x.rows() != n) throw Error("fepois: x and y have different numbers of rows");
  if (fe.n_fe > 0 && fe.n != n) throw Error("fepois: fixed effects and y have different numbers of rows");
  for (Index i = 0; i < n; ++i) {
    if (!(y[i] >= 0.0) || !std::isfinite(y[i]))
      throw Error("fepois: the outcome must be finite and >= 0 (row " + std::to_string(i) + ")");
  }
}

}  // namespace

PoissonFit fit_poisson(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const double* weights,
                       const double* offset, const PoissonOptions& opt) {
  check_inputs(x, y, fe);
  const Index n = y.size();
  const VectorXd pw = weights ? VectorXd(Eigen::Map<const VectorXd>(weights, n)) : VectorXd::Ones(n);
  const VectorXd off = offset ? VectorXd(Eigen::Map<const VectorXd>(offset, n)) : VectorXd::Zero(n);
  PoissonFit fit;

  // Start halfway between y and its mean: positive everywhere, zeros included.
  const double ybar = pw.dot(y) / pw.sum();
  VectorXd mu = (y.array() + ybar) / 2.0;
  VectorXd eta = mu.array().log();
  double dev = poisson_deviance(y, mu, weights);

  WorkingDemeaner demeaner(fe, opt.fixef_max_iter);
  MatrixXd xt = x;   // demeaned regressors, also the warm start of the next demeaning
  VectorXd z_fe;     // fixed-effect part of the previous working variable: the warm start of the next one
  MatrixXd xk;       // the estimable columns of x
  std::vector<Index> idx;
  double rel = 1.0;
  for (fit.iterations = 1; fit.iterations <= opt.max_iter; ++fit.iterations) {
    const VectorXd w = pw.cwiseProduct(mu);
    const VectorXd z = (eta - off).array() + (y - mu).array() / mu.array();
    const double itol = inner_tolerance(rel, opt);
    MatrixXd m(n, 1 + xt.cols());
    m.col(0) = z_fe.size() ? VectorXd(z - z_fe) : z;
    m.rightCols(xt.cols()) = xt;
    demeaner.run(m, w, itol);
    const VectorXd zt = m.col(0);
    xt = m.rightCols(m.cols() - 1);
    z_fe = z - zt;
    if (fit.iterations == 1) {  // which regressors are estimable is decided once, on the first weights
      fit.status = column_status(x, xt, w, fe.n_fe > 0, opt.absorbed_tol, opt.collin_tol);
      for (Index j = 0; j < x.cols(); ++j)
        if (fit.status[j] == static_cast<int>(ColumnStatus::kept)) idx.push_back(j);
      xt = MatrixXd(xt(Eigen::all, idx));
      xk = x(Eigen::all, idx);
    }
    VectorXd b = weighted_solve(xt, zt, w);
    // New linear predictor X b + fixed effects + offset. The fixed-effect part is the fixed-effect component of
    // z minus that of X b; forming X b directly (rather than z - residual) keeps full precision where z is huge
    // (y > 0 with a tiny mu), and is exact without fixed effects.
    VectorXd eta_new = xk * b + off;
    if (fe.n_fe > 0) eta_new += z_fe - (xk - xt) * b;
    VectorXd mu_new = eta_new.array().exp();
    double dev_new = poisson_deviance(y, mu_new, weights);
    // Step halving while the deviance is not finite or rises (a too-long Newton step); the start values are
    // not a model fit, so the first step is always taken.
    for (int h = 0; h < 30 && (!std::isfinite(dev_new) || dev_new > dev * (1.0 + 1e-12)) && fit.iterations > 1; ++h) {
      eta_new = (eta_new + eta) / 2.0;
      b = (b + fit.coef) / 2.0;
      mu_new = eta_new.array().exp();
      dev_new = poisson_deviance(y, mu_new, weights);
    }
    if (!std::isfinite(dev_new)) throw Error("fepois: the deviance became infinite; rescale the regressors or the outcome");
    rel = std::abs(dev_new - dev) / (0.1 + std::abs(dev_new));
    eta = std::move(eta_new);
    mu = std::move(mu_new);
    dev = dev_new;
    fit.coef = b;
    if (rel < opt.tol && itol <= opt.fixef_tol) {
      fit.converged = true;
      break;
    }
  }
  fit.iterations = std::min(fit.iterations, opt.max_iter);

  // The inverse Hessian at the final fitted values: demean once more with the final weights.
  const VectorXd w = pw.cwiseProduct(mu);
  demeaner.run(xt, w, opt.fixef_tol);
  fit.x_demeaned = xt;
  fit.bread = xt.cols() ? stats::spd_inverse(stats::weighted_crossprod(xt, w.data())) : MatrixXd(0, 0);
  fit.eta = std::move(eta);
  fit.mu = std::move(mu);
  fit.deviance = dev;
  fit.loglik = poisson_loglik(y, fit.mu, weights);
  // Null model: mu0 = exp(a + offset) with a solving sum w (y - mu0) = 0.
  const VectorXd eoff = off.array().exp();
  const VectorXd mu0 = eoff * (pw.dot(y) / pw.dot(eoff));
  fit.loglik_null = poisson_loglik(y, mu0, weights);
  fit.fixef_converged = demeaner.all_converged();
  return fit;
}

}  // namespace chipwar::glm
