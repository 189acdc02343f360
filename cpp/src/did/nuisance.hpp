// Nuisance models shared by the panel and repeated-cross-section DiD estimators (Sant'Anna & Zhao 2020): the
// weighted OLS outcome model fitted on a subgroup, the logit propensity score, and the influence of their
// coefficients projected on a direction (the "estimation effect" terms of DRDID's influence functions).
#pragma once

#include "chipwar/common.hpp"
#include "chipwar/did/logit.hpp"

namespace chipwar::did {

// DRDID trims comparison units whose propensity score reaches this level, and caps scores just below 1.
constexpr double kTrimLevel = 0.995;
constexpr double kScoreCap = 1.0 - 1e-6;

struct OutcomeRegression {
  VectorXd fitted;             // x * beta for every row (also outside the subgroup)
  Eigen::LDLT<MatrixXd> gram;  // of X' diag(w_sub) X / n
  VectorXd resid_weight;       // w_sub (y - fitted): the OLS score weights per row
};

// Weighted OLS of y on x among the rows with w_sub > 0 (w_sub = sampling weight times subgroup indicator).
inline OutcomeRegression subgroup_regression(const CRefVec& y, const CRefMat& x, const VectorXd& w_sub) {
  const double n = static_cast<double>(x.rows());
  OutcomeRegression reg;
  reg.gram.compute(x.transpose() * (x.array().colwise() * w_sub.array()).matrix() / n);
  if (reg.gram.info() != Eigen::Success || !(reg.gram.rcond() > 2.2e-16))
    throw Error("the outcome-regression design is singular among the comparison units (covariates collinear or "
                "without variation in the comparison group)");
  const VectorXd beta = reg.gram.solve(x.transpose() * (w_sub.array() * y.array()).matrix() / n);
  reg.fitted = x * beta;
  reg.resid_weight = (w_sub.array() * (y - reg.fitted).array()).matrix();
  return reg;
}

// Weighted OLS of dy on x among the comparison units (d == 0).
inline OutcomeRegression comparison_regression(const CRefVec& dy, const CRefVec& d, const CRefMat& x,
                                               const VectorXd& w) {
  return subgroup_regression(dy, x, (w.array() * (1.0 - d.array())).matrix());
}

// Influence of the OLS coefficients projected on direction m: row i of  wols.eX (X'WX/n)^{-1} m.
inline VectorXd ols_influence(const OutcomeRegression& reg, const CRefMat& x, const VectorXd& m) {
  return (reg.resid_weight.array() * (x * reg.gram.solve(m)).array()).matrix();
}

struct PropensityScore {
  VectorXd ps;
  Eigen::LDLT<MatrixXd> hessian;  // of X' diag(w ps (1 - ps)) X
  bool converged = true;
  double max_fitted = 0.0;
};

inline PropensityScore propensity_score(const CRefVec& d, const CRefMat& x, const VectorXd& w) {
  PropensityScore out;
  if (x.cols() == 1 && (x.col(0).array() == 1.0).all()) {
    // Without covariates the logit's maximum-likelihood score is the weighted share of treated rows: no Newton
    // iterations (each an exp and a log per row, half of att_gt's time without covariates at 10^6 units).
    const double share = w.dot(d) / w.sum();
    out.max_fitted = share;
    out.ps = VectorXd::Constant(x.rows(), std::min(share, kScoreCap));
  } else {
    const LogitFit fit = logit(x, d, w);
    out.converged = fit.converged;
    out.max_fitted = fit.fitted.maxCoeff();
    out.ps = fit.fitted.cwiseMin(kScoreCap);
  }
  const VectorXd v = (out.ps.array() * (1.0 - out.ps.array()) * w.array()).matrix();
  out.hessian.compute(x.transpose() * (x.array().colwise() * v.array()).matrix());
  if (out.hessian.info() != Eigen::Success || !(out.hessian.rcond() > 2.2e-16))
    throw Error("the propensity-score design is singular (covariates collinear or without variation)");
  return out;
}

// Influence of the logit coefficients projected on m: row i of  score.ps (X'WX)^{-1} n m.
inline VectorXd ps_influence(const PropensityScore& ps, const CRefVec& d, const CRefMat& x, const VectorXd& w,
                             const VectorXd& m) {
  const double n = static_cast<double>(x.rows());
  return (w.array() * (d - ps.ps).array() * (x * ps.hessian.solve(m)).array() * n).matrix();
}

// Treated rows are never trimmed; comparison rows whose score reaches the trim level are (1 = kept).
inline VectorXd trim_indicator(const PropensityScore& ps, const CRefVec& d) {
  return (d.array() > 0.5 || ps.ps.array() < kTrimLevel).cast<double>().matrix();
}

inline VectorXd col_means_weighted(const CRefMat& x, const VectorXd& a) {
  return x.transpose() * a / static_cast<double>(x.rows());
}

}  // namespace chipwar::did
