#include "chipwar/synth/simplex.hpp"

#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <vector>

namespace chipwar::synth {

MatrixXd sum_zero_basis(Index n) {
  // A Householder reflection mapping the ones vector to a multiple of e1: its other columns are orthogonal to ones.
  const MatrixXd ones = MatrixXd::Ones(n, 1);
  Eigen::HouseholderQR<MatrixXd> qr(ones);
  const MatrixXd q = qr.householderQ();
  return q.rightCols(n - 1);
}

double simplex_ridge(const CRefMat& a) {
  const double mean_sq = a.cols() > 0 ? a.squaredNorm() / static_cast<double>(a.cols()) : 0.0;
  return 1e-13 * (mean_sq > 0 ? mean_sq : 1.0);
}

namespace {

std::vector<Index> free_indices(const std::vector<uint8_t>& free) {
  std::vector<Index> idx;
  for (Index i = 0; i < static_cast<Index>(free.size()); ++i)
    if (free[i]) idx.push_back(i);
  return idx;
}

// Step p (on the free set) to the minimiser of the ridged objective on the affine hull of the free set.
VectorXd subspace_step(const CRefMat& a, const VectorXd& residual, const VectorXd& w, const std::vector<Index>& f,
                       double ridge) {
  const Index k = static_cast<Index>(f.size());
  if (k <= 1) return VectorXd::Zero(k);
  const MatrixXd z = sum_zero_basis(k);
  MatrixXd af(a.rows(), k);
  VectorXd wf(k);
  for (Index j = 0; j < k; ++j) {
    af.col(j) = a.col(f[j]);
    wf(j) = w(f[j]);
  }
  // min_u ||A_F Z u + r||^2 + ridge ||w_F + Z u||^2, as one stacked least-squares problem.
  const double s = std::sqrt(ridge);
  MatrixXd m(a.rows() + k, k - 1);
  m.topRows(a.rows()) = af * z;
  m.bottomRows(k) = s * z;
  VectorXd rhs(a.rows() + k);
  rhs.head(a.rows()) = -residual;
  rhs.tail(k) = -s * wf;
  const VectorXd u = m.colPivHouseholderQr().solve(rhs);
  return z * u;
}

}  // namespace

SimplexFit simplex_least_squares(const CRefMat& a, const CRefVec& b, const VectorXd& start, int max_iter) {
  const Index n = a.cols();
  if (n == 0) throw Error("simplex_least_squares: no donors (A has no columns)");
  if (b.size() != a.rows()) throw Error("simplex_least_squares: A and b have different numbers of rows");
  if (!a.allFinite() || !b.allFinite()) throw Error("simplex_least_squares: A or b contains NaN or infinite values");
  if (max_iter < 0) max_iter = static_cast<int>(50 * n + 200);
  const double ridge = simplex_ridge(a);

  SimplexFit fit;
  VectorXd w;
  if (start.size() == n && (start.array() >= 0).all() && start.sum() > 0) {
    w = start / start.sum();
  } else {
    w = VectorXd::Constant(n, 1.0 / static_cast<double>(n));
  }
  std::vector<uint8_t> free(n);
  for (Index i = 0; i < n; ++i) free[i] = w(i) > 0;

  const double scale = a.colwise().squaredNorm().maxCoeff() + (a.transpose() * b).cwiseAbs().maxCoeff() + ridge;
  const double mult_tol = 1e-14 * scale;
  bool at_subspace_min = false;
  for (fit.iterations = 0; fit.iterations < max_iter; ++fit.iterations) {
    const std::vector<Index> f = free_indices(free);
    if (!at_subspace_min) {
      const VectorXd residual = a * w - b;
      const VectorXd p = subspace_step(a, residual, w, f, ridge);
      double alpha = 1.0;
      Index blocking = -1;
      for (Index j = 0; j < static_cast<Index>(f.size()); ++j) {
        if (p(j) < 0) {
          const double step = -w(f[j]) / p(j);
          if (step < alpha) {
            alpha = step;
            blocking = f[j];
          }
        }
      }
      for (Index j = 0; j < static_cast<Index>(f.size()); ++j) w(f[j]) += alpha * p(j);
      if (blocking >= 0) {
        w(blocking) = 0.0;
        free[blocking] = 0;
        // Clean up entries pushed to (numerically) zero together with the blocking one.
        for (Index j : f)
          if (w(j) <= 0) {
            w(j) = 0.0;
            free[j] = 0;
          }
        w /= w.sum();
        continue;
      }
      at_subspace_min = true;
    }
    // At the minimiser on the current face: check the multipliers of the zero weights.
    const VectorXd g = a.transpose() * (a * w - b) + ridge * w;
    const std::vector<Index> f_now = free_indices(free);
    double mu = 0.0;
    for (Index j : f_now) mu += g(j);
    mu /= static_cast<double>(f_now.size());
    Index release = -1;
    double most_negative = -mult_tol;
    for (Index i = 0; i < n; ++i) {
      if (!free[i] && g(i) - mu < most_negative) {
        most_negative = g(i) - mu;
        release = i;
      }
    }
    if (release < 0) {
      fit.w = w;
      return fit;
    }
    free[release] = 1;
    at_subspace_min = false;
  }
  fit.w = w;
  fit.converged = false;
  return fit;
}

double simplex_kkt_violation(const CRefMat& a, const CRefVec& b, const CRefVec& w) {
  const VectorXd g = a.transpose() * (a * w - b);
  const double scale = a.colwise().squaredNorm().maxCoeff() + (a.transpose() * b).cwiseAbs().maxCoeff();
  double mu = 0.0;
  Index support = 0;
  for (Index i = 0; i < w.size(); ++i)
    if (w(i) > 0) {
      mu += g(i);
      ++support;
    }
  if (support == 0) return std::numeric_limits<double>::infinity();
  mu /= static_cast<double>(support);
  double worst = std::abs(w.sum() - 1.0) + std::max(0.0, -w.minCoeff());
  for (Index i = 0; i < w.size(); ++i) {
    const double slack = w(i) > 0 ? std::abs(g(i) - mu) : std::max(0.0, mu - g(i));
    worst = std::max(worst, slack / scale);
  }
  return worst;
}

}  // namespace chipwar::synth
