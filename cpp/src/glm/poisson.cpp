#include "chipwar/glm/poisson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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
// the user's tolerance once it settles (as ppmlhdfe does). Newton's method about squares the relative change
// of the deviance from one step to the next, so once it is below sqrt(tol) the next step may be the last one:
// it runs at the final tolerance straight away (the convergence test requires that).
double inner_tolerance(int iteration, double rel_change, const PoissonOptions& opt) {
  if (iteration == 1) return std::max(opt.fixef_tol, 1e-4);  // also decides which regressors are estimable
  if (rel_change < std::sqrt(opt.tol)) return opt.fixef_tol;
  return std::max(opt.fixef_tol, std::min(1e-3, 0.1 * rel_change));
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

  // Each step is the weighted regression of a working residual r on the regressors and fixed effects; by
  // Frisch-Waugh-Lovell, with r~ and X~ their parts orthogonal to the fixed effects, the step is
  //   db = (X~' W X~)^{-1} X~' W r~,   eta += (r - r~) + X~ db.
  // The gradient X~' W r~ = X' W r~ only needs r~ to be exact (r~ is orthogonal to the fixed effects, and any
  // X~ is X minus fixed effects), so X~ from earlier weights gives a quasi-Newton step with the same fixed point.
  // X~ is therefore re-demeaned only while the weights still move (loose tolerance, slow progress, a halved
  // step); the final, precise steps demean the working residual alone. The first step starts from values that
  // are not a model fit, so it regresses the whole working variable z = eta - offset + r from eta = offset.
  WorkingDemeaner demeaner(fe, opt.fixef_max_iter);
  MatrixXd xt = x;  // X~, the demeaned (estimable) regressors
  double rel = 1.0, rel_before = 1.0;
  bool halved = false;
  VectorXd w(n), r(n), eta_new(n), mu_new(n);
  const VectorXd ylogy = (y.array() > 0.0).select(y.array() * y.array().log(), 0.0);
  for (fit.iterations = 1; fit.iterations <= opt.max_iter; ++fit.iterations) {
    const bool first = fit.iterations == 1;
    const double itol = inner_tolerance(fit.iterations, rel, opt);
    const bool refresh = first || itol > opt.fixef_tol || halved || rel > 0.1 * rel_before;
    for (Index i = 0; i < n; ++i) {
      w[i] = pw[i] * mu[i];
      r[i] = (y[i] - mu[i]) / mu[i] + (first ? eta[i] - off[i] : 0.0);
    }
    MatrixXd m(n, 1 + (refresh ? xt.cols() : 0));
    m.col(0) = r;
    if (refresh) m.rightCols(xt.cols()) = xt;
    demeaner.run(m, w, itol);
    if (refresh) xt = m.rightCols(xt.cols());
    if (first) {  // which regressors are estimable is decided once, on the first weights
      fit.status = column_status(x, xt, w, fe.n_fe > 0, opt.absorbed_tol, opt.collin_tol);
      std::vector<Index> idx;
      for (Index j = 0; j < x.cols(); ++j)
        if (fit.status[j] == static_cast<int>(ColumnStatus::kept)) idx.push_back(j);
      xt = MatrixXd(xt(Eigen::all, idx));
      fit.coef = VectorXd::Zero(static_cast<Index>(idx.size()));
    }
    const VectorXd db = weighted_solve(xt, m.col(0), w);
    // eta_new = base + (r - r~) + X~ db, formed from the fixed-effect part r - r~ rather than as z - residual,
    // which keeps full precision where r is huge (y > 0 with a tiny mu).
    eta_new.noalias() = xt * db;
    double dev_new = 0.0;
    for (Index i = 0; i < n; ++i) {
      eta_new[i] += (first ? off[i] : eta[i]) + (r[i] - m(i, 0));
      mu_new[i] = std::exp(eta_new[i]);
      // y log(y / mu) = y log y - y eta: no logarithm per step (infinite, as log(y / 0), where mu underflows)
      const double term = y[i] > 0.0 ? (mu_new[i] > 0.0 ? ylogy[i] - y[i] * eta_new[i] - (y[i] - mu_new[i])
                                                        : std::numeric_limits<double>::infinity())
                                     : mu_new[i];
      dev_new += 2.0 * pw[i] * term;
    }
    VectorXd b = fit.coef + db;
    // Step halving while the deviance is not finite or rises (a too-long step); the start values are not a
    // model fit, so the first step is always taken.
    halved = false;
    for (int h = 0; h < 30 && (!std::isfinite(dev_new) || dev_new > dev * (1.0 + 1e-12)) && !first; ++h) {
      eta_new = (eta_new + eta) / 2.0;
      b = (b + fit.coef) / 2.0;
      mu_new = eta_new.array().exp();
      dev_new = poisson_deviance(y, mu_new, weights);
      halved = true;
    }
    if (!std::isfinite(dev_new)) throw Error("fepois: the deviance became infinite; rescale the regressors or the outcome");
    rel_before = rel;
    rel = std::abs(dev_new - dev) / (0.1 + std::abs(dev_new));
    eta.swap(eta_new);
    mu.swap(mu_new);
    dev = dev_new;
    fit.coef = b;
    // Converged: a small change of the deviance, from a step at the final precision, after a change that was
    // already small. One small change right after a large one can hide fixed effects of groups with almost
    // only zeros, along which the deviance is flat and Newton's method is still converging.
    if (rel < opt.tol && itol <= opt.fixef_tol && rel_before < 100.0 * opt.tol) {
      fit.converged = true;
      break;
    }
  }
  fit.iterations = std::min(fit.iterations, opt.max_iter);

  // The inverse Hessian at the final fitted values: demean once more with the final weights.
  w = pw.cwiseProduct(mu);
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
