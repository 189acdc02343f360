#include "chipwar/glm/poisson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "chipwar/glm/working.hpp"
#include "chipwar/stats/linalg.hpp"

namespace chipwar::glm {

namespace {

// One observation's term of the log-likelihood, y log mu - mu - log y!.
double loglik_term(double y, double mu) { return (y > 0.0 ? y * std::log(mu) : 0.0) - mu - std::lgamma(y + 1.0); }

double prior(const double* weights, Index i) { return weights ? weights[i] : 1.0; }

// One observation's term of the deviance at the linear predictor eta, y log(y / mu) - (y - mu) with mu = exp(eta)
// (infinite, as log(y / 0), where mu underflows for y > 0).
double deviance_term(double y, double eta) {
  const double mu = std::exp(eta);
  if (y <= 0.0) return mu;
  return mu > 0.0 ? y * (std::log(y) - eta) - (y - mu) : std::numeric_limits<double>::infinity();
}

}  // namespace

double poisson_deviance(const CRefVec& y, const CRefVec& mu, const double* weights) {
  double dev = 0.0;
  for (Index i = 0; i < y.size(); ++i) {
    const double yi = y[i];
    const double term = (yi > 0.0 ? yi * std::log(yi / mu[i]) : 0.0) - (yi - mu[i]);
    dev += prior(weights, i) * term;
  }
  return 2.0 * dev;
}

double poisson_loglik(const CRefVec& y, const CRefVec& mu, const double* weights) {
  double ll = 0.0;
  for (Index i = 0; i < y.size(); ++i) ll += prior(weights, i) * loglik_term(y[i], mu[i]);
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

template <class XMat, class YVec>
void check_inputs(const XMat& x, const YVec& y, const fe::FixedEffects& fe) {
  const Index n = y.size();
  if (x.rows() != n) throw Error("fepois: x and y have different numbers of rows");
  if (fe.n_fe > 0 && fe.n != n) throw Error("fepois: fixed effects and y have different numbers of rows");
  for (Index i = 0; i < n; ++i) {
    if (!(y[i] >= 0.0) || !std::isfinite(y[i]))
      throw Error("fepois: the outcome must be finite and >= 0 (row " + std::to_string(i) + ")");
  }
}

}  // namespace

namespace {

// The values of v (n, or null) in working order and float64: out[k] = v[order[k]]; null stays null, and so does
// a float64 v when the order is the original one (order empty).
template <class Scalar>
const double* to_working_order(const Scalar* v, Index n, const std::vector<uint32_t>& order, VectorXd& buffer) {
  if (!v) return nullptr;
  if constexpr (std::is_same_v<Scalar, double>) {
    if (order.empty()) return v;
  }
  buffer.resize(n);
  for (Index k = 0; k < n; ++k) buffer[k] = static_cast<double>(v[order.empty() ? k : order[k]]);
  return buffer.data();
}

// Puts a vector in working order back into the original order, in place (one temporary column).
void to_original_order(Eigen::Ref<VectorXd> v, const std::vector<uint32_t>& order) {
  if (order.empty()) return;
  const VectorXd working = v;
  for (size_t k = 0; k < order.size(); ++k) v[order[k]] = working[static_cast<Index>(k)];
}

template <class Scalar>
PoissonFit fit_poisson_impl(const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x,
                            const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>& y_in,
                            const fe::FixedEffects& fe, const double* weights_in, const double* offset_in,
                            const PoissonOptions& opt) {
  check_inputs(x, y_in, fe);
  const Index n = y_in.size(), k = x.cols();
  PoissonFit fit;

  // IRLS runs in the working order of the demeaning (rows sorted by the largest fixed effect when that pays, see
  // fe::SortedFixedEffects): the data are put in that order once, so the many demeanings neither gather nor
  // scatter their columns nor keep sorted copies of the weights, and the outputs go back to the original order
  // at the end.
  const fe::SortedFixedEffects sorted(fe);
  const std::vector<uint32_t>& order = sorted.order();
  WorkingDemeaner demeaner(fe::SortedFixedEffects::as_given(sorted.view(), sorted.sort_key()), opt.fixef_max_iter);
  VectorXd y_buf, weights_buf, offset_buf;
  const Eigen::Map<const VectorXd> y(to_working_order(y_in.data(), n, order, y_buf), n);
  const double* weights = to_working_order(weights_in, n, order, weights_buf);
  const double* offset = to_working_order(offset_in, n, order, offset_buf);
  const auto off = [offset](Index i) { return offset ? offset[i] : 0.0; };

  // Start halfway between y and its mean: positive everywhere, zeros included.
  double sum_w = 0.0, sum_wy = 0.0;
  for (Index i = 0; i < n; ++i) {
    sum_w += prior(weights, i);
    sum_wy += prior(weights, i) * y[i];
  }
  const double ybar = sum_wy / sum_w;
  // fixest's guard 0.1 in |dev - dev_old| / (0.1 + |dev|) is in units of the prior weights: the deviance scales
  // with them, so without this weights c w stopped at another iterate than w (c = 1e-12: 2% off, "converged").
  const double mean_weight = sum_w / static_cast<double>(n);
  VectorXd mu(n), eta(n);
  for (Index i = 0; i < n; ++i) {
    mu[i] = (y[i] + ybar) / 2.0;
    eta[i] = std::log(mu[i]);
  }
  double dev = poisson_deviance(y, mu, weights);

  // Each step is the weighted regression of a working residual r on the regressors and fixed effects; by
  // Frisch-Waugh-Lovell, with r~ and X~ their parts orthogonal to the fixed effects, the step is
  //   db = (X~' W X~)^{-1} X~' W r~,   eta += (r - r~) + X~ db.
  // The gradient X~' W r~ = X' W r~ only needs r~ to be exact (r~ is orthogonal to the fixed effects, and any
  // X~ is X minus fixed effects), so X~ from earlier weights gives a quasi-Newton step with the same fixed point.
  // X~ is therefore re-demeaned only while the weights still move (loose tolerance, slow progress, a halved
  // step); the final, precise steps demean the working residual alone. The first step starts from values that
  // are not a model fit, so it regresses the whole working variable z = eta - offset + r from eta = offset.
  //
  // Memory (10^8 rows): m = [X~ | r] is demeaned in place, r is recomputed from mu and eta where the step needs
  // it rather than kept beside r~, the IRLS weights are mu itself without prior weights, and nothing else of
  // length n is kept but eta, mu and the candidate eta of the step (mu = exp(eta) is recomputed, one exp and
  // one log per row and step, rather than stored twice next to a vector of y log y).
  MatrixXd m(n, k + 1);
  for (Index j = 0; j < k; ++j) {
    if (order.empty()) {
      m.col(j) = x.col(j).template cast<double>();
    } else {
      for (Index i = 0; i < n; ++i) m(i, j) = static_cast<double>(x(order[i], j));
    }
  }
  Index kept = k;  // columns of X~ in m; r is the column after them
  VectorXd w_buf(weights ? n : 0);
  const auto irls_weights = [&]() -> const double* {
    if (!weights) return mu.data();
    for (Index i = 0; i < n; ++i) w_buf[i] = weights[i] * mu[i];
    return w_buf.data();
  };
  double rel = 1.0, rel_before = 1.0;
  bool halved = false;
  VectorXd eta_new(n);
  for (fit.iterations = 1; fit.iterations <= opt.max_iter; ++fit.iterations) {
    const bool first = fit.iterations == 1;
    const double itol = inner_tolerance(fit.iterations, rel, opt);
    const bool refresh = first || itol > opt.fixef_tol || halved || rel > 0.1 * rel_before;
    const auto working_residual = [&](Index i) { return (y[i] - mu[i]) / mu[i] + (first ? eta[i] - off(i) : 0.0); };
    if (!first)
      for (Index i = 0; i < n; ++i) mu[i] = std::exp(eta[i]);
    const double* w = irls_weights();
    const Eigen::Map<const VectorXd> wv(w, n);
    for (Index i = 0; i < n; ++i) m(i, kept) = working_residual(i);
    const VectorXd sum_sq_before = first ? weighted_sum_squares(m.leftCols(k), wv) : VectorXd();
    demeaner.run(refresh ? m.leftCols(kept + 1) : m.middleCols(kept, 1), w, itol);
    if (first) {  // which regressors are estimable is decided once, on the first weights
      fit.status = column_status(sum_sq_before, stats::weighted_crossprod(m.leftCols(k), w), fe.n_fe > 0,
                                 opt.absorbed_tol, opt.collin_tol);
      Index next = 0;  // move the kept columns (and r~ after them) to the front
      for (Index j = 0; j <= k; ++j) {
        if (j < k && fit.status[j] != static_cast<int>(ColumnStatus::kept)) continue;
        if (next != j) m.col(next) = m.col(j);
        ++next;
      }
      kept = next - 1;
      if (kept < k) m.conservativeResize(n, kept + 1);
      fit.coef = VectorXd::Zero(kept);
    }
    const auto xt = m.leftCols(kept);
    const auto rt = m.col(kept);
    const VectorXd db = weighted_solve(xt, rt, wv);
    // eta_new = base + (r - r~) + X~ db, formed from the fixed-effect part r - r~ rather than as z - residual,
    // which keeps full precision where r is huge (y > 0 with a tiny mu).
    eta_new.noalias() = xt * db;
    double dev_new = 0.0;
    for (Index i = 0; i < n; ++i) {
      eta_new[i] += (first ? off(i) : eta[i]) + (working_residual(i) - rt[i]);
      dev_new += 2.0 * prior(weights, i) * deviance_term(y[i], eta_new[i]);
    }
    VectorXd b = fit.coef + db;
    // Step halving while the deviance is not finite or rises (a too-long step); the start values are not a
    // model fit, so the first step is always taken.
    halved = false;
    for (int h = 0; h < 30 && (!std::isfinite(dev_new) || dev_new > dev * (1.0 + 1e-12)) && !first; ++h) {
      eta_new = (eta_new + eta) / 2.0;
      b = (b + fit.coef) / 2.0;
      dev_new = 0.0;
      for (Index i = 0; i < n; ++i) dev_new += 2.0 * prior(weights, i) * deviance_term(y[i], eta_new[i]);
      halved = true;
    }
    if (!std::isfinite(dev_new)) throw Error("fepois: the deviance became infinite; rescale the regressors or the outcome");
    rel_before = rel;
    rel = std::abs(dev_new - dev) / (0.1 * mean_weight + std::abs(dev_new));
    eta.swap(eta_new);  // mu follows at the top of the next step
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
  eta_new = VectorXd();  // freed before the last demeaning
  for (Index i = 0; i < n; ++i) mu[i] = std::exp(eta[i]);

  // The inverse Hessian at the final fitted values: demean once more with the final weights (r~ is dropped).
  m.conservativeResize(n, kept);
  const double* w = irls_weights();
  demeaner.run(m, w, opt.fixef_tol);
  fit.bread = kept ? stats::spd_inverse(stats::weighted_crossprod(m, w)) : MatrixXd(0, 0);
  fit.deviance = dev;
  fit.loglik = poisson_loglik(y, mu, weights);
  // Null model: mu0 = exp(a + offset) with a solving sum w (y - mu0) = 0.
  double sum_w_eoff = 0.0;
  for (Index i = 0; i < n; ++i) sum_w_eoff += prior(weights, i) * std::exp(off(i));
  fit.loglik_null = 0.0;
  for (Index i = 0; i < n; ++i)
    fit.loglik_null += prior(weights, i) * loglik_term(y[i], std::exp(off(i)) * (sum_wy / sum_w_eoff));
  for (Index j = 0; j < kept; ++j) to_original_order(m.col(j), order);
  to_original_order(eta, order);
  to_original_order(mu, order);
  fit.x_demeaned = std::move(m);
  fit.eta = std::move(eta);
  fit.mu = std::move(mu);
  fit.fixef_converged = demeaner.all_converged();
  return fit;
}

}  // namespace

PoissonFit fit_poisson(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const double* weights,
                       const double* offset, const PoissonOptions& opt) {
  return fit_poisson_impl<double>(x, y, fe, weights, offset, opt);
}

PoissonFit fit_poisson(const CRefMatF& x, const CRefVecF& y, const fe::FixedEffects& fe, const double* weights,
                       const double* offset, const PoissonOptions& opt) {
  return fit_poisson_impl<float>(x, y, fe, weights, offset, opt);
}

}  // namespace chipwar::glm
