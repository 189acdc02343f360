#include "chipwar/glm/separation.hpp"

#include <algorithm>
#include <cmath>

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

namespace {

// Uniform on (-1, 1) from a counter (splitmix64): arbitrary but reproducible coefficients on every platform.
double arbitrary_coefficient(uint64_t k) {
  uint64_t z = k * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return 2.0 * (static_cast<double>(z >> 11) / 9007199254740992.0) - 1.0;
}

// Below this share of the combination's scale, its prediction error on the zeros is demeaning noise (the
// demeaning runs at fixef_tol, orders of magnitude lower); an undetermined combination misses by order one.
constexpr double kReproduced = 1e-6;

}  // namespace

bool separation_impossible(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const SeparationOptions& opt) {
  const Index n = y.size(), k = x.cols();
  if (x.rows() != n || (fe.n_fe > 0 && fe.n != n)) throw Error("separation: inputs have different numbers of rows");
  const Eigen::Array<bool, Eigen::Dynamic, 1> zero = y.array() <= 0.0;
  if (!zero.any()) return true;
  if (zero.all()) return false;
  // A fixed-effect group without a positive row is separated outright (zero_outcome_groups finds those).
  for (int q = 0; q < fe.n_fe; ++q) {
    std::vector<uint8_t> positive(fe.n_groups[q], 0);
    const int32_t* c = fe.column(q);
    for (Index i = 0; i < n; ++i)
      if (!zero[i]) positive[c[i]] = 1;
    if (std::find(positive.begin(), positive.end(), 0) != positive.end()) return false;
  }
  // The combination v = sum_j g_j x_j / rms(x_j) + sum_q a_q[code_q] (every term of order one), next to x.
  MatrixXd m(n, 1 + k);
  m.col(0).setZero();
  uint64_t counter = 0;
  for (Index j = 0; j < k; ++j) {
    const double rms = std::sqrt(x.col(j).squaredNorm() / static_cast<double>(n));
    if (rms > 0.0) m.col(0) += (arbitrary_coefficient(counter++) / rms) * x.col(j);
  }
  for (int q = 0; q < fe.n_fe; ++q) {
    VectorXd a(fe.n_groups[q]);
    for (Index g = 0; g < a.size(); ++g) a[g] = arbitrary_coefficient(counter++);
    const int32_t* c = fe.column(q);
    for (Index i = 0; i < n; ++i) m(i, 0) += a[c[i]];
  }
  const double scale = std::sqrt(m.col(0).squaredNorm() / static_cast<double>(n));
  m.rightCols(k) = x;
  // Weight zero on the zeros: the fixed effects and the regression are fitted on the positive rows only, while
  // the residuals are still formed on every row.
  const VectorXd w = zero.select(VectorXd::Zero(n), VectorXd::Ones(n));
  WorkingDemeaner demeaner(fe, opt.fixef_max_iter);
  demeaner.run(m, w, opt.fixef_tol);
  if (!demeaner.all_converged()) return false;
  const MatrixXd xt = m.rightCols(k);
  const auto status = column_status(x, xt, w, fe.n_fe > 0, 1e-10, opt.collin_tol);
  std::vector<Index> idx;
  for (Index j = 0; j < k; ++j)
    if (status[j] == static_cast<int>(ColumnStatus::kept)) idx.push_back(j);
  const MatrixXd xk = xt(Eigen::all, idx);
  const VectorXd resid = m.col(0) - xk * weighted_solve(xk, m.col(0), w);
  double miss = 0.0;
  for (Index i = 0; i < n; ++i)
    if (zero[i]) miss = std::max(miss, std::abs(resid[i]));
  return miss <= kReproduced * (1.0 + scale);
}

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
