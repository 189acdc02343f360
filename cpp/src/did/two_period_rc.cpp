#include "chipwar/did/two_period_rc.hpp"

#include "nuisance.hpp"

namespace chipwar::did {
namespace {

// A weighted mean  mean(a * v) / mean(a)  and its influence  a (v - eta) / mean(a): the building block of every
// term of the repeated-cross-section estimators.
struct Ratio {
  double eta = 0.0;
  VectorXd inf;
};

Ratio ratio(const VectorXd& a, const VectorXd& v) {
  const double mean_a = a.mean();
  Ratio r;
  r.eta = a.dot(v) / static_cast<double>(a.size()) / mean_a;
  r.inf = (a.array() * (v.array() - r.eta)).matrix() / mean_a;
  return r;
}

VectorXd times(const VectorXd& a, const CRefVec& b) { return (a.array() * b.array()).matrix(); }

TwoPeriodFit regression_rc(const CRefVec& y, const CRefVec& post, const CRefVec& d, const CRefMat& x,
                           const VectorXd& w) {
  const VectorXd wc = times(w, (1.0 - d.array()).matrix());
  const OutcomeRegression pre = subgroup_regression(y, x, times(wc, (1.0 - post.array()).matrix()));
  const OutcomeRegression after = subgroup_regression(y, x, times(wc, post));
  const VectorXd w_d = times(w, d);
  const Ratio treat_post = ratio(times(w_d, post), y);
  const Ratio treat_pre = ratio(times(w_d, (1.0 - post.array()).matrix()), y);
  const Ratio cont = ratio(w_d, after.fitted - pre.fitted);
  TwoPeriodFit fit;
  fit.att = treat_post.eta - treat_pre.eta - cont.eta;
  const VectorXd m1 = col_means_weighted(x, w_d);
  const VectorXd inf_cont = cont.inf + (ols_influence(after, x, m1) - ols_influence(pre, x, m1)) / w_d.mean();
  fit.inf = treat_post.inf - treat_pre.inf - inf_cont;
  return fit;
}

TwoPeriodFit ipw_rc(const CRefVec& y, const CRefVec& post, const CRefVec& d, const CRefMat& x, const VectorXd& w,
                    const PropensityScore& ps) {
  const VectorXd trim = trim_indicator(ps, d);
  const VectorXd pre_ind = (1.0 - post.array()).matrix();
  const VectorXd w_d = times(times(trim, w), d);
  const VectorXd w_c = (trim.array() * w.array() * ps.ps.array() * (1.0 - d.array()) / (1.0 - ps.ps.array())).matrix();
  const Ratio treat_post = ratio(times(w_d, post), y);
  const Ratio treat_pre = ratio(times(w_d, pre_ind), y);
  const VectorXd w_c_post = times(w_c, post);
  const VectorXd w_c_pre = times(w_c, pre_ind);
  const Ratio cont_post = ratio(w_c_post, y);
  const Ratio cont_pre = ratio(w_c_pre, y);
  TwoPeriodFit fit;
  fit.att = (treat_post.eta - treat_pre.eta) - (cont_post.eta - cont_pre.eta);
  // Estimation effect of the propensity score on the two normalised comparison means.
  const VectorXd m2 = col_means_weighted(x, times(w_c_post, (y.array() - cont_post.eta).matrix())) / w_c_post.mean() -
                      col_means_weighted(x, times(w_c_pre, (y.array() - cont_pre.eta).matrix())) / w_c_pre.mean();
  const VectorXd inf_cont = cont_post.inf - cont_pre.inf + ps_influence(ps, d, x, w, m2);
  fit.inf = treat_post.inf - treat_pre.inf - inf_cont;
  return fit;
}

// drdid_rc: the locally efficient doubly robust estimator, with outcome models in all four group-period cells.
TwoPeriodFit doubly_robust_rc(const CRefVec& y, const CRefVec& post, const CRefVec& d, const CRefMat& x,
                              const VectorXd& w, const PropensityScore& ps) {
  const VectorXd trim = trim_indicator(ps, d);
  const VectorXd pre_ind = (1.0 - post.array()).matrix();
  const VectorXd wc = times(w, (1.0 - d.array()).matrix());
  const VectorXd wt = times(w, d);
  const OutcomeRegression cont_pre_or = subgroup_regression(y, x, times(wc, pre_ind));
  const OutcomeRegression cont_post_or = subgroup_regression(y, x, times(wc, post));
  const OutcomeRegression treat_pre_or = subgroup_regression(y, x, times(wt, pre_ind));
  const OutcomeRegression treat_post_or = subgroup_regression(y, x, times(wt, post));
  const VectorXd out_cont = (post.array() * cont_post_or.fitted.array() + pre_ind.array() * cont_pre_or.fitted.array())
                                .matrix();
  const VectorXd resid = y - out_cont;

  const VectorXd w_d = times(trim, wt);
  const VectorXd w_c = (trim.array() * w.array() * ps.ps.array() * (1.0 - d.array()) / (1.0 - ps.ps.array())).matrix();
  const VectorXd w_t_post = times(w_d, post);
  const VectorXd w_t_pre = times(w_d, pre_ind);
  const VectorXd w_c_post = times(w_c, post);
  const VectorXd w_c_pre = times(w_c, pre_ind);
  const Ratio treat_post = ratio(w_t_post, resid);
  const Ratio treat_pre = ratio(w_t_pre, resid);
  const Ratio cont_post = ratio(w_c_post, resid);
  const Ratio cont_pre = ratio(w_c_pre, resid);
  // Efficiency terms: treated-minus-comparison fitted trends, over all treated and over the treated of one period.
  const VectorXd gap_post = treat_post_or.fitted - cont_post_or.fitted;
  const VectorXd gap_pre = treat_pre_or.fitted - cont_pre_or.fitted;
  const Ratio d_post = ratio(w_d, gap_post);
  const Ratio dt1_post = ratio(w_t_post, gap_post);
  const Ratio d_pre = ratio(w_d, gap_pre);
  const Ratio dt0_pre = ratio(w_t_pre, gap_pre);

  TwoPeriodFit fit;
  fit.att = (treat_post.eta - treat_pre.eta) - (cont_post.eta - cont_pre.eta) + (d_post.eta - dt1_post.eta) -
            (d_pre.eta - dt0_pre.eta);

  // Treated part: the comparison outcome models enter through resid.
  const VectorXd inf_treat = treat_post.inf - treat_pre.inf -
                             ols_influence(cont_post_or, x, col_means_weighted(x, w_t_post)) / w_t_post.mean() +
                             ols_influence(cont_pre_or, x, col_means_weighted(x, w_t_pre)) / w_t_pre.mean();
  // Comparison part: propensity score and comparison outcome models.
  const VectorXd m2 =
      col_means_weighted(x, times(w_c_post, (resid.array() - cont_post.eta).matrix())) / w_c_post.mean() -
      col_means_weighted(x, times(w_c_pre, (resid.array() - cont_pre.eta).matrix())) / w_c_pre.mean();
  const VectorXd inf_cont = cont_post.inf - cont_pre.inf + ps_influence(ps, d, x, w, m2) -
                            ols_influence(cont_post_or, x, col_means_weighted(x, w_c_post)) / w_c_post.mean() +
                            ols_influence(cont_pre_or, x, col_means_weighted(x, w_c_pre)) / w_c_pre.mean();
  const VectorXd inf_eff = (d_post.inf - dt1_post.inf) - (d_pre.inf - dt0_pre.inf);
  // Estimation effect of all four outcome models on the efficiency terms.
  const VectorXd mom_post = col_means_weighted(x, w_d / w_d.mean() - w_t_post / w_t_post.mean());
  const VectorXd mom_pre = col_means_weighted(x, w_d / w_d.mean() - w_t_pre / w_t_pre.mean());
  const VectorXd inf_or = ols_influence(treat_post_or, x, mom_post) - ols_influence(cont_post_or, x, mom_post) -
                          ols_influence(treat_pre_or, x, mom_pre) + ols_influence(cont_pre_or, x, mom_pre);
  fit.inf = inf_treat - inf_cont + inf_eff + inf_or;
  return fit;
}

}  // namespace

TwoPeriodFit two_period_rc(const CRefVec& y, const CRefVec& post, const CRefVec& d, const CRefMat& x,
                           const CRefVec& w_in, Method method) {
  const Index n = y.size();
  if (post.size() != n || d.size() != n || x.rows() != n || w_in.size() != n)
    throw Error("two_period_rc: inputs of different lengths");
  const VectorXd w = w_in / w_in.mean();
  if (method == Method::Regression) return regression_rc(y, post, d, x, w);
  const PropensityScore ps = propensity_score(d, x, w);
  TwoPeriodFit fit = method == Method::Ipw ? ipw_rc(y, post, d, x, w, ps) : doubly_robust_rc(y, post, d, x, w, ps);
  fit.ps_converged = ps.converged;
  fit.max_pscore = ps.max_fitted;
  return fit;
}

}  // namespace chipwar::did
