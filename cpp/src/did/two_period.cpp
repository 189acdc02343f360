#include "chipwar/did/two_period.hpp"

#include "nuisance.hpp"

namespace chipwar::did {

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
  const VectorXd trim = trim_indicator(ps, d);
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
