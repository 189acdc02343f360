#include "chipwar/glm/separation.hpp"

#include <algorithm>

#include "chipwar/glm/working.hpp"

namespace chipwar::glm {

std::vector<uint8_t> zero_outcome_groups(const CRefVec& y, const fe::FixedEffects& fe) {
  std::vector<uint8_t> out(y.size(), 0);
  for (int q = 0; q < fe.n_fe; ++q) {
    const int32_t* c = fe.column(q);
    std::vector<uint8_t> positive(fe.n_groups[q], 0);
    for (Index i = 0; i < fe.n; ++i)
      if (y[i] > 0.0) positive[c[i]] = 1;
    for (Index i = 0; i < fe.n; ++i)
      if (!positive[c[i]]) out[i] = 1;
  }
  return out;
}

namespace {

// Weight of the y > 0 observations in the auxiliary regressions. The rectifier iteration is alternating
// projections between the span of the regressors and the cone {u = 0 where y > 0, u >= 0 where y = 0} (both
// in the same weighted metric), so it converges for any weight; a larger weight converges in fewer rectifier
// steps but makes the weighted demeaning ill-conditioned. This value keeps both fast.
constexpr double kPositiveWeight = 100.0;
// Below this largest value (the start is 1) the iterates are taken to have vanished.
constexpr double kVanishing = 1e-10;

}  // namespace

SeparationResult relu_separation(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe,
                                 const SeparationOptions& opt) {
  const Index n = y.size();
  if (x.rows() != n || (fe.n_fe > 0 && fe.n != n)) throw Error("separation: inputs have different numbers of rows");
  SeparationResult res;
  res.separated.assign(n, 0);
  const Eigen::Array<bool, Eigen::Dynamic, 1> zero = y.array() <= 0.0;
  if (!zero.any()) {
    res.converged = true;
    return res;
  }
  const VectorXd w = zero.select(VectorXd::Ones(n), VectorXd::Constant(n, kPositiveWeight));
  WorkingDemeaner demeaner(fe, opt.fixef_max_iter);
  MatrixXd xt = x;
  demeaner.run(xt, w, opt.fixef_tol);
  // Only estimable regressors enter the certificate (absorbed or collinear ones add nothing to its span).
  const auto status = column_status(x, xt, w, fe.n_fe > 0, 1e-10, opt.collin_tol);
  std::vector<Index> idx;
  for (Index j = 0; j < x.cols(); ++j)
    if (status[j] == static_cast<int>(ColumnStatus::kept)) idx.push_back(j);
  const MatrixXd xk = xt(Eigen::all, idx);

  VectorXd u = zero.select(VectorXd::Ones(n), VectorXd::Zero(n));
  VectorXd u_fe;  // fixed-effect part of the previous u: warm start of the next demeaning
  for (res.iterations = 1; res.iterations <= opt.max_iter; ++res.iterations) {
    VectorXd ut = u_fe.size() ? VectorXd(u - u_fe) : u;
    demeaner.run(ut, w, opt.fixef_tol);
    u_fe = u - ut;
    const VectorXd resid = ut - xk * weighted_solve(xk, ut, w);
    const VectorXd zhat = u - resid;  // fitted certificate: regressors plus fixed effects
    // A certificate is non-negative where y = 0 and zero where y > 0. Both are judged relative to its largest
    // value: without separation the iterates shrink to zero while staying a fixed angle away from the cone,
    // so an absolute tolerance would eventually accept a vanishing non-certificate.
    double violation = 0.0, largest = 0.0;
    for (Index i = 0; i < n; ++i) {
      violation = std::max(violation, zero[i] ? -zhat[i] : std::abs(zhat[i]));
      if (zero[i]) largest = std::max(largest, zhat[i]);
    }
    if (largest <= kVanishing) {  // the iterates died out: no separation
      res.converged = true;
      return res;
    }
    // Converged well below the flagging threshold, so that rounding-level values are not flagged.
    if (violation <= 1e-3 * opt.tol * largest) {
      for (Index i = 0; i < n; ++i) res.separated[i] = zero[i] && zhat[i] > opt.tol * largest;
      res.converged = true;
      return res;
    }
    // Rectify: keep the non-negative part on the zeros, zero on the positives.
    u = zero.select(zhat.cwiseMax(0.0), VectorXd::Zero(n));
  }
  res.iterations = opt.max_iter;
  return res;
}

}  // namespace chipwar::glm
