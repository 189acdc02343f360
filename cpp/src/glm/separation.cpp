#include "chipwar/glm/separation.hpp"

#include <algorithm>
#include <cmath>

#include "chipwar/glm/working.hpp"
#include "chipwar/stats/linalg.hpp"

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
// column_status's threshold for a regressor absorbed by the fixed effects (the one fepois's kernel uses).
constexpr double kAbsorbed = 1e-10;

// The combination v = sum_j g_j x_j / rms(x_j) + sum_q a_q[code_q] (every term of order one), evaluated row by
// row so that no n-vector has to be kept.
struct Combination {
  VectorXd x_coef;                 // g_j / rms(x_j); 0 for a column that is zero throughout
  std::vector<VectorXd> fe_coef;   // a_q, per group
  double scale = 0.0;              // root mean square of v over all rows

  double fe_part(const fe::FixedEffects& fe, Index i) const {
    double s = 0.0;
    for (int q = 0; q < fe.n_fe; ++q) s += fe_coef[q][fe.column(q)[i]];
    return s;
  }
};

Combination arbitrary_combination(const CRefMat& x, const fe::FixedEffects& fe) {
  const Index n = x.rows(), k = x.cols();
  Combination v;
  v.x_coef = VectorXd::Zero(k);
  uint64_t counter = 0;
  for (Index j = 0; j < k; ++j) {
    const double rms = std::sqrt(x.col(j).squaredNorm() / static_cast<double>(n));
    if (rms > 0.0) v.x_coef[j] = arbitrary_coefficient(counter++) / rms;
  }
  v.fe_coef.resize(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) {
    v.fe_coef[q].resize(fe.n_groups[q]);
    for (Index g = 0; g < v.fe_coef[q].size(); ++g) v.fe_coef[q][g] = arbitrary_coefficient(counter++);
  }
  double ss = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double value = x.row(i).dot(v.x_coef) + v.fe_part(fe, i);
    ss += value * value;
  }
  v.scale = std::sqrt(ss / static_cast<double>(n));
  return v;
}

// The estimable columns (status kept) by fepois's rule, with its absorbed threshold kAbsorbed.
std::vector<Index> estimable_columns(const VectorXd& before, const MatrixXd& gram, bool has_fixed_effects,
                                     double collin_tol) {
  const auto status = column_status(before, gram, has_fixed_effects, kAbsorbed, collin_tol);
  std::vector<Index> kept;
  for (Index j = 0; j < gram.rows(); ++j)
    if (status[j] == static_cast<int>(ColumnStatus::kept)) kept.push_back(j);
  return kept;
}

// The screen at the demeaning tolerance fixef_tol: v and x demeaned together on every row with weight 1 on the
// positives and 0 on the zeros (the fixed effects are fitted on the positives, the residuals formed everywhere),
// v regressed on the estimable regressors, and its residual on the zeros compared with kReproduced of its scale.
bool reproduced_on_zeros(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const Combination& v,
                         const SeparationOptions& opt) {
  const Index n = y.size(), k = x.cols();
  const VectorXd w = (y.array() > 0.0).cast<double>();
  MatrixXd m(n, 1 + k);  // the one working buffer: [v | x], demeaned in place
  m.col(0).noalias() = x * v.x_coef;
  for (Index i = 0; i < n; ++i) m(i, 0) += v.fe_part(fe, i);
  m.rightCols(k) = x;
  const VectorXd before = weighted_sum_squares(x, w);
  WorkingDemeaner demeaner(fe, opt.fixef_max_iter);
  demeaner.run(m, w, opt.fixef_tol);
  if (!demeaner.all_converged()) return false;
  const MatrixXd gram = stats::weighted_crossprod(m, w.data());
  const auto kept = estimable_columns(before, gram.bottomRightCorner(k, k), fe.n_fe > 0, opt.collin_tol);
  const Index nk = static_cast<Index>(kept.size());
  std::vector<Index> cols(nk);
  for (Index a = 0; a < nk; ++a) cols[a] = 1 + kept[a];
  VectorXd b(nk);
  if (nk > 0) {
    Eigen::LLT<MatrixXd> llt(gram(cols, cols));
    if (llt.info() != Eigen::Success) throw Error("weighted least squares: the regressors are collinear");
    b = llt.solve(gram(cols, 0));
  }
  double miss = 0.0;
  for (Index i = 0; i < n; ++i) {
    if (y[i] > 0.0) continue;
    double r = m(i, 0);
    for (Index a = 0; a < nk; ++a) r -= m(i, cols[a]) * b[a];
    miss = std::max(miss, std::abs(r));
  }
  return miss <= kReproduced * (1.0 + v.scale);
}

// The fast pass. The positive rows have the full rank of the design [X, D] (D the fixed-effect dummies) iff every
// (g, a) with X g + D a = 0 on the positives has it on all rows. When X demeaned on the positives has full column
// rank, such a (g, a) has g = 0, so the condition reduces to: every a with D a = 0 on the positives has D a = 0
// on the zeros, i.e. the positives identify the fixed effects (and when they do not, the condition fails whatever
// X is). Two cheap checks then decide it:
//   1. the fixed-effect part D a of v, fitted on the positives alone (recover_fixef: Gauss-Seidel on one
//      column of the positive rows, unweighted), is reproduced on the zeros;
//   2. x, demeaned on the positives at the loose tolerance kRankTol, clearly has full column rank.
// Without fixed effects check 1 is empty; without regressors check 2 is.
//
// Why this is the decision of reproduced_on_zeros. When x has full rank on the positives, v's regression there
// recovers g exactly, so the residual it extends to the zeros is D a's, the miss measured in check 1; the two
// differ only by the demeaning and fitting errors, orders of magnitude below kReproduced. Check 1's miss is
// accepted below kReproduced / kDecisive and rejected above kOrderOne (an undetermined combination misses by
// order one); in between the tight pass decides. Gauss-Seidel (unaccelerated) stops when no coefficient moves by
// more than 1e-2 fixef_tol (relative); reaching that within kFitSweeps sweeps from order-one steps takes a
// contraction rate well below 1, at which the distance left is a small multiple of the last step, far below
// kReproduced / kDecisive. A design that converges more slowly (weakly connected groups) goes to the tight pass,
// whose demeaning is accelerated, after at most kFitSweeps sweeps of one column over the positive rows.
//
// Check 2's error bound. Demeaning changes a column only by a fixed-effect combination, so the loose result is
// x~ = x* + E with x* the exact projection and E in the span of D; x* is orthogonal to that span, hence
// x~'x~ = x*'x* + E'E: the loose cross-products only overstate, by at most |E|^2. The demeaning stops when its
// estimate of the remaining coefficient change is below tol (1 + rms) per fixed effect, so with the columns
// scaled to unit rms every row of E is below 2 Q kRankTol per column and |E'E| / n_pos <= eta = k (2 Q
// kRankTol)^2. The smallest eigenvalue of x*'x* / n_pos is then at least mu - eta (mu: that of x~'x~ / n_pos),
// and it bounds from below every ratio column_status tests (surviving sum of squares over the original one, and
// residual on earlier columns over own sum of squares, both scale-free). Requiring mu > kRankMargin max(eta,
// collin_tol, kAbsorbed) therefore means that the tight pass keeps every regressor.
enum class Verdict { reproduced, not_reproduced, undecided };

constexpr double kRankTol = 1e-4;
constexpr double kRankMargin = 100.0;
constexpr double kDecisive = 10.0;
constexpr double kOrderOne = 1e-2;
constexpr int kFitSweeps = 100;

Verdict fast_screen(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const Combination& v,
                    const SeparationOptions& opt) {
  const Index n = y.size(), k = x.cols();
  // The positive rows in their order (sorting them by the largest fixed effect made the gathers below dearer than
  // the fit gained, at 1e6 and 1e7 rows of bench_fepois's design).
  std::vector<Index> rows;
  for (Index i = 0; i < n; ++i)
    if (y[i] > 0.0) rows.push_back(i);
  const Index np = static_cast<Index>(rows.size());
  std::vector<int32_t> codes(static_cast<size_t>(np) * fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) {
    const int32_t* c = fe.column(q);
    for (Index p = 0; p < np; ++p) codes[q * np + p] = c[rows[p]];
  }
  const fe::FixedEffects positive{codes.data(), np, fe.n_fe, fe.n_groups};

  if (fe.n_fe > 0) {  // check 1
    VectorXd d(np);
    for (Index p = 0; p < np; ++p) d[p] = v.fe_part(fe, rows[p]);
    const auto fit = fe::recover_fixef(d, positive, nullptr, fe::DemeanOptions{1e-2 * opt.fixef_tol, kFitSweeps});
    if (!fit.converged) return Verdict::undecided;
    double miss = 0.0;
    for (Index i = 0; i < n; ++i) {
      if (y[i] > 0.0) continue;
      double r = v.fe_part(fe, i);
      for (int q = 0; q < fe.n_fe; ++q) r -= fit.coefficients[q][fe.column(q)[i]];
      miss = std::max(miss, std::abs(r));
    }
    const double threshold = kReproduced * (1.0 + v.scale);
    if (miss > kOrderOne * (1.0 + v.scale)) return Verdict::not_reproduced;
    if (miss > threshold / kDecisive) return Verdict::undecided;
  }
  if (k == 0) return Verdict::reproduced;
  // check 2
  MatrixXd m(np, k);
  for (Index j = 0; j < k; ++j) {
    for (Index p = 0; p < np; ++p) m(p, j) = x(rows[p], j);
    const double rms = std::sqrt(m.col(j).squaredNorm() / static_cast<double>(np));
    if (!(rms > 0.0)) return Verdict::undecided;
    m.col(j) /= rms;
  }
  std::vector<Index>().swap(rows);
  WorkingDemeaner demeaner(positive, opt.fixef_max_iter);
  demeaner.run(m, VectorXd(), kRankTol);  // no weights: every positive row counts once
  if (!demeaner.all_converged()) return Verdict::undecided;
  const MatrixXd gram = stats::weighted_crossprod(m, nullptr) / static_cast<double>(np);
  const double mu = Eigen::SelfAdjointEigenSolver<MatrixXd>(gram, Eigen::EigenvaluesOnly).eigenvalues()[0];
  const double per_row = 2.0 * fe.n_fe * kRankTol;
  const double eta = static_cast<double>(k) * per_row * per_row;
  return mu > kRankMargin * std::max({eta, opt.collin_tol, kAbsorbed}) ? Verdict::reproduced : Verdict::undecided;
}

}  // namespace

ScreenResult separation_screen(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe,
                               const SeparationOptions& opt) {
  const Index n = y.size();
  if (x.rows() != n || (fe.n_fe > 0 && fe.n != n)) throw Error("separation: inputs have different numbers of rows");
  ScreenResult res;
  const Index n_zero = (y.array() <= 0.0).count();
  if (n_zero == 0) {
    res.impossible = true;
    return res;
  }
  if (n_zero == n) return res;
  // A fixed-effect group without a positive row is separated outright (zero_outcome_groups finds those).
  for (int q = 0; q < fe.n_fe; ++q) {
    std::vector<uint8_t> positive(fe.n_groups[q], 0);
    const int32_t* c = fe.column(q);
    for (Index i = 0; i < n; ++i)
      if (y[i] > 0.0) positive[c[i]] = 1;
    if (std::find(positive.begin(), positive.end(), 0) != positive.end()) return res;
  }
  const Combination v = arbitrary_combination(x, fe);
  const Verdict fast = opt.fast_screen ? fast_screen(x, y, fe, v, opt) : Verdict::undecided;
  if (fast != Verdict::undecided) {
    res.impossible = fast == Verdict::reproduced;
    return res;
  }
  res.tight_pass = true;
  res.impossible = reproduced_on_zeros(x, y, fe, v, opt);
  return res;
}

bool separation_impossible(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const SeparationOptions& opt) {
  return separation_screen(x, y, fe, opt).impossible;
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
  MatrixXd xt = x;  // demeaned in place; its estimable columns are then moved to the front (no second copy)
  demeaner.run(xt, w, opt.fixef_tol);
  // Only estimable regressors enter the certificate (absorbed or collinear ones add nothing to its span).
  const VectorXd before = weighted_sum_squares(x, w);
  const MatrixXd gram = stats::weighted_crossprod(xt, w.data());
  const auto kept = estimable_columns(before, gram, fe.n_fe > 0, opt.collin_tol);
  const Index nk = static_cast<Index>(kept.size());
  for (Index a = 0; a < nk; ++a)
    if (kept[a] != a) xt.col(a) = xt.col(kept[a]);
  const auto xk = xt.leftCols(nk);
  // The cross-products of the regressors do not change between rectifier steps: factor them once.
  Eigen::LLT<MatrixXd> llt(gram(kept, kept));
  if (nk > 0 && llt.info() != Eigen::Success) throw Error("weighted least squares: the regressors are collinear");

  VectorXd u = zero.select(VectorXd::Ones(n), VectorXd::Zero(n));
  VectorXd u_fe = VectorXd::Zero(n);  // fixed-effect part of the previous u: warm start of the next demeaning
  VectorXd zhat(n);                   // u demeaned, then its residual, then the fitted certificate
  for (res.iterations = 1; res.iterations <= opt.max_iter; ++res.iterations) {
    zhat = u - u_fe;
    demeaner.run(zhat, w, opt.fixef_tol);
    u_fe = u - zhat;
    if (nk > 0) {
      const VectorXd b = llt.solve(xk.transpose() * w.cwiseProduct(zhat));
      zhat.noalias() -= xk * b;
    }
    zhat = u - zhat;  // fitted certificate: regressors plus fixed effects
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
    u = zero.select(zhat.cwiseMax(0.0), 0.0);
  }
  res.iterations = opt.max_iter;
  return res;
}

}  // namespace chipwar::glm
