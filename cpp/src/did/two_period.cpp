#include "chipwar/did/two_period.hpp"

#include <algorithm>

#include "chipwar/did/logit.hpp"

namespace chipwar::did {
namespace {

// DRDID trims comparison units whose propensity score reaches this level, and caps scores just below 1.
constexpr double kTrimLevel = 0.995;
constexpr double kScoreCap = 1.0 - 1e-6;

struct OutcomeRegression {
  VectorXd fitted;       // x * beta for every row
  Eigen::LDLT<MatrixXd> gram;  // of X' diag(w (1 - d)) X / n
  VectorXd resid_weight;  // w (1 - d) (dy - fitted): the OLS score weights per row
};

// Weighted OLS of dy on x among the comparison units (d == 0).
OutcomeRegression comparison_regression(const CRefVec& dy, const CRefVec& d, const CRefMat& x, const VectorXd& w) {
  const Index n = x.rows();
  const VectorXd wc = (w.array() * (1.0 - d.array())).matrix();
  const MatrixXd xtwx = x.transpose() * (x.array().colwise() * wc.array()).matrix() / static_cast<double>(n);
  OutcomeRegression reg;
  reg.gram.compute(xtwx);
  if (reg.gram.info() != Eigen::Success || !(reg.gram.rcond() > 2.2e-16))
    throw Error("the outcome-regression design is singular among the comparison units (covariates collinear or "
                "without variation in the comparison group)");
  const VectorXd xty = x.transpose() * (wc.array() * dy.array()).matrix() / static_cast<double>(n);
  const VectorXd beta = reg.gram.solve(xty);
  reg.fitted = x * beta;
  reg.resid_weight = (wc.array() * (dy - reg.fitted).array()).matrix();
  return reg;
}

// Influence of the OLS coefficients projected on direction m: row i of  wols.eX (X'WX/n)^{-1} m.
VectorXd ols_influence(const OutcomeRegression& reg, const CRefMat& x, const VectorXd& m) {
  return (reg.resid_weight.array() * (x * reg.gram.solve(m)).array()).matrix();
}

struct PropensityScore {
  VectorXd ps;
  Eigen::LDLT<MatrixXd> hessian;  // of X' diag(w ps (1 - ps)) X
  bool converged = true;
  double max_fitted = 0.0;
};

PropensityScore propensity_score(const CRefVec& d, const CRefMat& x, const VectorXd& w) {
  PropensityScore out;
  const LogitFit fit = logit(x, d, w);
  out.converged = fit.converged;
  out.max_fitted = fit.fitted.maxCoeff();
  out.ps = fit.fitted.cwiseMin(kScoreCap);
  const VectorXd v = (out.ps.array() * (1.0 - out.ps.array()) * w.array()).matrix();
  out.hessian.compute(x.transpose() * (x.array().colwise() * v.array()).matrix());
  if (out.hessian.info() != Eigen::Success || !(out.hessian.rcond() > 2.2e-16))
    throw Error("the propensity-score design is singular (covariates collinear or without variation)");
  return out;
}

// Influence of the logit coefficients projected on m: row i of  score.ps (X'WX)^{-1} n m.
VectorXd ps_influence(const PropensityScore& ps, const CRefVec& d, const CRefMat& x, const VectorXd& w,
                      const VectorXd& m) {
  const double n = static_cast<double>(x.rows());
  return (w.array() * (d - ps.ps).array() * (x * ps.hessian.solve(m)).array() * n).matrix();
}

VectorXd col_means_weighted(const CRefMat& x, const VectorXd& a) {
  return x.transpose() * a / static_cast<double>(x.rows());
}

}  // namespace

TwoPeriodFit two_period_did(const CRefVec& dy, const CRefVec& d, const CRefMat& x, const CRefVec& w_in,
                            Method method) {
  const Index n = dy.size();
  if (d.size() != n || x.rows() != n || w_in.size() != n) throw Error("two_period_did: inputs of different lengths");
  const VectorXd w = w_in / w_in.mean();
  TwoPeriodFit fit;

  if (method == Method::Regression) {
    const OutcomeRegression reg = comparison_regression(dy, d, x, w);
    const VectorXd w_treat = (w.array() * d.array()).matrix();
    const double mean_treat = w_treat.mean();
    const double eta_treat = w_treat.dot(dy) / n / mean_treat;
    const double eta_cont = w_treat.dot(reg.fitted) / n / mean_treat;
    fit.att = eta_treat - eta_cont;
    const VectorXd inf_treat = (w_treat.array() * (dy.array() - eta_treat)).matrix() / mean_treat;
    const VectorXd m1 = col_means_weighted(x, w_treat);
    const VectorXd inf_cont =
        ((w_treat.array() * (reg.fitted.array() - eta_cont)).matrix() + ols_influence(reg, x, m1)) / mean_treat;
    fit.inf = inf_treat - inf_cont;
    return fit;
  }

  const PropensityScore ps = propensity_score(d, x, w);
  fit.ps_converged = ps.converged;
  fit.max_pscore = ps.max_fitted;
  // Treated units are never trimmed; comparison units with scores at or above the trim level are.
  VectorXd trim(n);
  for (Index i = 0; i < n; ++i) trim[i] = (d[i] > 0.5 || ps.ps[i] < kTrimLevel) ? 1.0 : 0.0;
  const VectorXd w_treat = (trim.array() * w.array() * d.array()).matrix();
  const VectorXd w_cont =
      (trim.array() * w.array() * ps.ps.array() * (1.0 - d.array()) / (1.0 - ps.ps.array())).matrix();
  const double mean_treat = w_treat.mean();
  const double mean_cont = w_cont.mean();

  if (method == Method::Ipw) {
    const double eta_treat = w_treat.dot(dy) / n / mean_treat;
    const double eta_cont = w_cont.dot(dy) / n / mean_cont;
    fit.att = eta_treat - eta_cont;
    const VectorXd inf_treat = (w_treat.array() * (dy.array() - eta_treat)).matrix() / mean_treat;
    const VectorXd m2 = col_means_weighted(x, (w_cont.array() * (dy.array() - eta_cont)).matrix());
    const VectorXd inf_cont =
        ((w_cont.array() * (dy.array() - eta_cont)).matrix() + ps_influence(ps, d, x, w, m2)) / mean_cont;
    fit.inf = inf_treat - inf_cont;
    return fit;
  }

  // Doubly robust (locally efficient, "traditional" DRDID).
  const OutcomeRegression reg = comparison_regression(dy, d, x, w);
  const VectorXd resid = dy - reg.fitted;
  const double eta_treat = w_treat.dot(resid) / n / mean_treat;
  const double eta_cont = w_cont.dot(resid) / n / mean_cont;
  fit.att = eta_treat - eta_cont;
  const VectorXd m1 = col_means_weighted(x, w_treat);
  const VectorXd inf_treat =
      ((w_treat.array() * (resid.array() - eta_treat)).matrix() - ols_influence(reg, x, m1)) / mean_treat;
  const VectorXd m2 = col_means_weighted(x, (w_cont.array() * (resid.array() - eta_cont)).matrix());
  const VectorXd m3 = col_means_weighted(x, w_cont);
  const VectorXd inf_cont = ((w_cont.array() * (resid.array() - eta_cont)).matrix() + ps_influence(ps, d, x, w, m2) -
                             ols_influence(reg, x, m3)) /
                            mean_cont;
  fit.inf = inf_treat - inf_cont;
  return fit;
}

}  // namespace chipwar::did
