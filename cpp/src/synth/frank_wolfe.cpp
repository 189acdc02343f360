#include "chipwar/synth/frank_wolfe.hpp"

#include <algorithm>
#include <limits>

namespace chipwar::synth {
namespace {

// Index of the smallest entry, the first of ties (R's which.min, which synthdid's vertex choice uses).
Index first_argmin(const VectorXd& v) {
  Index best = 0;
  for (Index j = 1; j < v.size(); ++j)
    if (v(j) < v(best)) best = j;
  return best;
}

}  // namespace

FwFit fw_simplex_weights(const CRefMat& y, double zeta, bool intercept, const VectorXd& start, double min_decrease,
                         int max_iter) {
  const Index rows = y.rows();
  const Index k = y.cols() - 1;
  if (k < 1 || rows < 1) throw Error("fw_simplex_weights: need at least one candidate column and one row");
  MatrixXd yc = y;
  if (intercept) yc.rowwise() -= yc.colwise().mean();
  const auto a = yc.leftCols(k);
  const VectorXd b = yc.col(k);
  const double eta = static_cast<double>(rows) * zeta * zeta;
  const double zeta2 = zeta * zeta;

  FwFit fit;
  fit.weights = start.size() == k ? start : VectorXd::Constant(k, 1.0 / static_cast<double>(k));
  VectorXd& x = fit.weights;
  // Every iterate is a convex combination x <- (1 - s) x + s e_i, so A x and A'A x update in O(rows + k) from the
  // Gram matrix instead of O(rows k): this makes synthdid's 10000-iteration cap affordable. The loop allocates nothing
  // and keeps x'x and half_grad'x so that the step needs no pass of its own.
  const MatrixXd gram = a.transpose() * a;
  const VectorXd atb = a.transpose() * b;
  VectorXd ax = a * x;
  VectorXd gx = gram * x;
  // half_grad = A'(Ax - b) + eta x, synthdid's half gradient; its argmin (first on ties, as which.min) is the vertex.
  VectorXd half_grad = gx - atb + eta * x;
  VectorXd d_err(rows);
  Index vertex = first_argmin(half_grad);
  double xx = x.squaredNorm(), grad_x = half_grad.dot(x);
  const double target = min_decrease * min_decrease;
  double previous = 0.0, current = 0.0;
  int t = 0;
  while (t < max_iter && (t < 2 || previous - current > target)) {
    ++t;
    const Index i = vertex;
    const double xi = x(i);
    // d_x = e_i - x is zero only at the vertex itself.
    bool at_vertex = xi == 1.0;
    for (Index j = 0; at_vertex && j < k; ++j) at_vertex = j == i || x(j) == 0.0;
    if (!at_vertex) {
      // Exact line search along d_x (synthdid's step): -half_grad'd_x / (||A d_x||^2 + eta ||d_x||^2), with
      // half_grad'd_x = half_grad_i - half_grad'x and ||d_x||^2 = x'x - 2 x_i + 1.
      d_err.noalias() = a.col(i) - ax;
      const double denom = d_err.squaredNorm() + eta * (xx - 2.0 * xi + 1.0);
      const double step = denom > 0 ? -(half_grad(i) - grad_x) / denom : 0.0;
      const double s = std::clamp(step, 0.0, 1.0);
      // x <- (1 - s) x + s e_i, and A x, A'A x, the half gradient, x'x and half_grad'x with it (vectorised passes).
      ax.noalias() += s * d_err;
      x *= 1.0 - s;
      x(i) += s;
      gx = (1.0 - s) * gx + s * gram.col(i);
      half_grad = gx - atb + eta * x;
      vertex = first_argmin(half_grad);
      xx = x.squaredNorm();
      grad_x = half_grad.dot(x);
    }
    previous = current;
    current = zeta2 * xx + (ax - b).squaredNorm() / static_cast<double>(rows);
  }
  fit.iterations = t;
  fit.converged = t < max_iter || previous - current <= target;
  return fit;
}

VectorXd sparsify_weights(const VectorXd& w) {
  VectorXd out = w;
  const double cut = w.maxCoeff() / 4.0;
  for (Index i = 0; i < out.size(); ++i)
    if (out(i) <= cut) out(i) = 0.0;
  return out / out.sum();
}

}  // namespace chipwar::synth
