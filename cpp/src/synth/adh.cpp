#include "chipwar/synth/adh.hpp"

#include <ceres/ceres.h>

#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <utility>

#include "chipwar/synth/ipop.hpp"
#include "chipwar/synth/r_optim.hpp"
#include "chipwar/synth/simplex.hpp"

namespace chipwar::synth {
namespace {

void validate(const AdhProblem& p) {
  const Index j = p.x0.cols();
  if (j < 2) throw Error("synth: need at least two donors");
  if (p.x1.size() != p.x0.rows() || p.z0.cols() != j || p.z1.size() != p.z0.rows())
    throw Error("synth: predictor and outcome matrices have inconsistent shapes");
  if (!p.x0.allFinite() || !p.x1.allFinite() || !p.z0.allFinite() || !p.z1.allFinite())
    throw Error("synth: predictors or outcomes contain NaN or infinite values");
}

// Inner problem for V: weights and, for the gradient, the outer loss's derivative with respect to V.
struct InnerSolution {
  VectorXd w;
  double mspe = 0.0;
  VectorXd grad_v;
  bool converged = true;
};

InnerSolution solve_inner(const AdhProblem& p, const VectorXd& v, const VectorXd& warm, bool with_gradient) {
  const VectorXd sv = v.cwiseMax(0.0).cwiseSqrt();
  const MatrixXd a = sv.asDiagonal() * p.x0;
  const VectorXd b = sv.cwiseProduct(p.x1);
  const SimplexFit fit = simplex_least_squares(a, b, warm);
  InnerSolution s;
  s.w = fit.w;
  s.converged = fit.converged;
  const VectorXd outer_resid = p.z1 - p.z0 * s.w;
  const double t = static_cast<double>(p.z1.size());
  s.mspe = outer_resid.squaredNorm() / t;
  if (!with_gradient) return s;
  // Implicit differentiation on the support F (the active set is locally fixed): with H = A_F'A_F + ridge and Z a
  // basis of sum-zero directions, dw_F/dv_k = -Z (Z'HZ)^{-1} Z' X0_F[k,:]' r_k where r = X0 w - x1, so
  // dL/dv_k = -r_k (X0_F s)_k with s = Z (Z'HZ)^{-1} Z' g and g = dL/dw_F = -(2/T) Z0_F' (z1 - Z0 w).
  std::vector<Index> f;
  for (Index i = 0; i < s.w.size(); ++i)
    if (s.w(i) > 0) f.push_back(i);
  const Index nf = static_cast<Index>(f.size());
  s.grad_v = VectorXd::Zero(v.size());
  if (nf < 2) return s;  // a single donor: w does not move locally
  MatrixXd af(a.rows(), nf), x0f(p.x0.rows(), nf), z0f(p.z0.rows(), nf);
  for (Index j = 0; j < nf; ++j) {
    af.col(j) = a.col(f[j]);
    x0f.col(j) = p.x0.col(f[j]);
    z0f.col(j) = p.z0.col(f[j]);
  }
  const MatrixXd z = sum_zero_basis(nf);
  const MatrixXd h = af.transpose() * af + simplex_ridge(a) * MatrixXd::Identity(nf, nf);
  const VectorXd g = -(2.0 / t) * (z0f.transpose() * outer_resid);
  const MatrixXd zhz = z.transpose() * h * z;
  const VectorXd sdir = z * zhz.ldlt().solve(z.transpose() * g);
  const VectorXd r = p.x0 * s.w - p.x1;
  s.grad_v = -r.cwiseProduct(x0f * sdir);
  return s;
}

VectorXd softmax(const double* theta, Index k) {
  VectorXd v(k);
  double top = theta[0];
  for (Index i = 1; i < k; ++i) top = std::max(top, theta[i]);
  for (Index i = 0; i < k; ++i) v(i) = std::exp(theta[i] - top);
  return v / v.sum();
}

class OuterLoss final : public ceres::FirstOrderFunction {
 public:
  explicit OuterLoss(const AdhProblem& p) : p_(p) {}
  int NumParameters() const override { return static_cast<int>(p_.x0.rows()); }
  bool Evaluate(const double* theta, double* cost, double* gradient) const override {
    const Index k = p_.x0.rows();
    const VectorXd v = softmax(theta, k);
    InnerSolution s = solve_inner(p_, v, warm_, gradient != nullptr);
    warm_ = s.w;  // warm start the next QP from this support (deterministic: Ceres' call order is)
    all_converged_ = all_converged_ && s.converged;
    *cost = s.mspe;
    if (gradient) {
      // Softmax Jacobian: dv_i/dtheta_j = v_i (delta_ij - v_j).
      const double vg = v.dot(s.grad_v);
      for (Index j = 0; j < k; ++j) gradient[j] = v(j) * (s.grad_v(j) - vg);
    }
    return std::isfinite(*cost);
  }
  bool all_converged() const { return all_converged_; }

 private:
  const AdhProblem& p_;
  mutable VectorXd warm_;
  mutable bool all_converged_ = true;
};

// Multi-start searches keep the lowest outer loss; a strict comparison keeps the first of tied starts.
void keep_if_better(AdhFit& best, const InnerSolution& sol, const VectorXd& v, Index start) {
  if (!(sol.mspe < best.mspe)) return;
  best.w = sol.w;
  best.v = v;
  best.mspe = sol.mspe;
  best.best_start = static_cast<int>(start);
}

}  // namespace

AdhFit adh_fixed_v(const AdhProblem& p, const VectorXd& v) {
  validate(p);
  if (v.size() != p.x0.rows() || (v.array() < 0).any() || v.sum() <= 0)
    throw Error("synth: v must have one non-negative weight per predictor, not all zero");
  const VectorXd vn = v / v.sum();
  const InnerSolution s = solve_inner(p, vn, VectorXd(), false);
  AdhFit fit;
  fit.w = s.w;
  fit.v = vn;
  fit.mspe = s.mspe;
  fit.converged = s.converged;
  return fit;
}

std::optional<VectorXd> adh_regression_start(const AdhProblem& p) {
  // Outcomes in the window on [1, predictors] across treated and donors; V from the squared coefficients.
  const Index k = p.x0.rows();
  const Index units = p.x0.cols() + 1;
  if (units <= k + 1) return std::nullopt;
  MatrixXd design(units, k + 1);
  design.col(0).setOnes();
  design.block(0, 1, 1, k) = p.x1.transpose();
  design.block(1, 1, units - 1, k) = p.x0.transpose();
  MatrixXd outcomes(units, p.z0.rows());
  outcomes.row(0) = p.z1.transpose();
  outcomes.bottomRows(units - 1) = p.z0.transpose();
  const Eigen::ColPivHouseholderQR<MatrixXd> qr(design);
  if (qr.rank() < k + 1) return std::nullopt;
  const MatrixXd beta = qr.solve(outcomes).bottomRows(k);
  const VectorXd v = beta.rowwise().squaredNorm();
  if (!(v.sum() > 0) || !v.allFinite()) return std::nullopt;
  return VectorXd(v / v.sum());
}

MatrixXd adh_starts(const AdhProblem& p, int random_starts) {
  const Index k = p.x0.rows();
  std::vector<VectorXd> starts;
  starts.push_back(VectorXd::Constant(k, 1.0 / static_cast<double>(k)));
  if (const auto v = adh_regression_start(p)) starts.push_back(*v);
  for (Index i = 0; i < k && k > 1; ++i) {
    VectorXd v = VectorXd::Constant(k, 0.5 / static_cast<double>(k - 1));
    v(i) = 0.5;
    starts.push_back(v);
  }
  // Flat Dirichlet draws from a fixed-seed Mersenne twister (its output is specified by the standard, and the
  // conversion to uniforms is done here, so the starts are the same on every platform).
  std::mt19937_64 gen(20210101);
  for (int s = 0; s < random_starts; ++s) {
    VectorXd v(k);
    for (Index i = 0; i < k; ++i) v(i) = -std::log((static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53);
    starts.push_back(v / v.sum());
  }
  MatrixXd out(static_cast<Index>(starts.size()), k);
  for (Index i = 0; i < out.rows(); ++i) out.row(i) = starts[i].transpose();
  return out;
}

AdhFit adh_fit(const AdhProblem& p, const MatrixXd& starts, int max_iter) {
  validate(p);
  const Index k = p.x0.rows();
  if (starts.cols() != k || starts.rows() < 1) throw Error("synth: starting V's must have one column per predictor");
  AdhFit best;
  best.mspe = std::numeric_limits<double>::infinity();
  bool converged = true;
  for (Index s = 0; s < starts.rows(); ++s) {
    std::vector<double> theta(k);
    for (Index i = 0; i < k; ++i) theta[i] = std::log(std::max(starts(s, i), 1e-12));
    auto* loss = new OuterLoss(p);
    ceres::GradientProblem problem(loss);  // takes ownership of loss
    ceres::GradientProblemSolver::Options options;
    options.line_search_direction_type = ceres::LBFGS;
    options.max_num_iterations = max_iter;
    options.function_tolerance = 1e-12;
    options.gradient_tolerance = 1e-12;
    options.parameter_tolerance = 1e-12;
    options.logging_type = ceres::SILENT;
    options.minimizer_progress_to_stdout = false;
    ceres::GradientProblemSolver::Summary summary;
    ceres::Solve(options, problem, theta.data(), &summary);
    converged = converged && loss->all_converged();
    const VectorXd v = softmax(theta.data(), k);
    const InnerSolution sol = solve_inner(p, v, VectorXd(), false);
    converged = converged && sol.converged;
    keep_if_better(best, sol, v, s);
  }
  best.converged = converged;
  return best;
}

namespace {

// One optimx call of Synth: Nelder-Mead and BFGS from the same start, the lower final value kept (Nelder-Mead, listed
// first, on ties). A method that stops with an error is skipped, as optimx records it without a value.
struct OptimxRun {
  VectorXd x;
  double value = std::numeric_limits<double>::infinity();
};

OptimxRun synth_optimx(const Objective& loss, const VectorXd& start) {
  OptimxRun best;
  const auto consider = [&](const OptimResult& r) {
    if (r.value < best.value) {
      best.x = r.x;
      best.value = r.value;
    }
  };
  try {
    consider(optim_nelder_mead(loss, start));
  } catch (const Error&) {
  }
  try {
    consider(optim_bfgs(loss, start));
  } catch (const Error&) {
  }
  return best;
}

// Synth's two optimx calls (equal weights, then the regression start when the regression is of full rank); Synth
// keeps the second unless the first is strictly better. Returns x (V = |x| / sum |x|) and which start, or nothing when
// no method returned a finite value.
std::optional<std::pair<VectorXd, int>> synth_search(const AdhProblem& p, const Objective& loss) {
  const Index k = p.x0.rows();
  std::vector<OptimxRun> runs{synth_optimx(loss, VectorXd::Constant(k, 1.0 / static_cast<double>(k)))};
  if (const auto reg = adh_regression_start(p)) runs.push_back(synth_optimx(loss, *reg));
  const int chosen = runs.size() == 2 && !(runs[0].value < runs[1].value) ? 1 : 0;
  if (!std::isfinite(runs[chosen].value)) return std::nullopt;
  return std::make_pair(runs[chosen].x, chosen);
}

}  // namespace

AdhFit adh_fit_synth(const AdhProblem& p) {
  validate(p);
  // Synth's parametrisation: V = |x| / sum |x|, x unconstrained.
  auto to_v = [](const VectorXd& x) -> VectorXd { return x.cwiseAbs() / x.cwiseAbs().sum(); };
  // Synth's fn.V: the inner QP by ipop (inexact, see ipop.hpp), the outer loss the window's MSPE at those weights.
  const double periods = static_cast<double>(p.z1.size());
  const Objective ipop_loss = [&](const VectorXd& x) {
    if (!(x.cwiseAbs().sum() > 0)) return std::numeric_limits<double>::infinity();
    const VectorXd v = to_v(x);
    const MatrixXd vx0 = v.asDiagonal() * p.x0;
    const VectorXd w = ipop_simplex(p.x0.transpose() * vx0, -(vx0.transpose() * p.x1));
    return (p.z1 - p.z0 * w).squaredNorm() / periods;
  };
  auto found = synth_search(p, ipop_loss);
  if (!found) {
    // Where R's Synth stops with an error (ipop failed in every run), run the same search on exactly solved inner
    // problems instead.
    const Objective exact_loss = [&](const VectorXd& x) {
      if (!(x.cwiseAbs().sum() > 0)) return std::numeric_limits<double>::infinity();
      return solve_inner(p, to_v(x), VectorXd(), false).mspe;
    };
    found = synth_search(p, exact_loss);
  }
  if (!found) throw Error("synth: Synth's V search (Nelder-Mead and BFGS) found no finite loss");
  AdhFit fit;
  fit.v = to_v(found->first);
  const InnerSolution sol = solve_inner(p, fit.v, VectorXd(), false);
  fit.w = sol.w;
  fit.mspe = sol.mspe;
  fit.best_start = found->second;
  fit.converged = sol.converged;
  return fit;
}

std::vector<AdhFit> adh_fit_many(const std::vector<AdhProblem>& problems, const std::vector<VectorXd>& fixed_v,
                                 int max_iter, int random_starts, VSearch search) {
  const Index n = static_cast<Index>(problems.size());
  for (const auto& p : problems) validate(p);
  std::vector<AdhFit> out(n);
  std::vector<std::string> errors(n);
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index i = 0; i < n; ++i) {
    try {
      const auto& p = problems[i];
      if (i < static_cast<Index>(fixed_v.size()) && fixed_v[i].size() > 0)
        out[i] = adh_fixed_v(p, fixed_v[i]);
      else if (search == VSearch::synth)
        out[i] = adh_fit_synth(p);
      else
        out[i] = adh_fit(p, adh_starts(p, random_starts), max_iter);
    } catch (const std::exception& e) {
      errors[i] = e.what();  // exceptions must not escape an OpenMP region
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw Error(e);
  return out;
}

}  // namespace chipwar::synth
