#include "chipwar/synth/frank_wolfe.hpp"

#include <algorithm>

namespace chipwar::synth {

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

  FwFit fit;
  fit.weights = start.size() == k ? start : VectorXd::Constant(k, 1.0 / static_cast<double>(k));
  VectorXd& x = fit.weights;
  // Every iterate is a convex combination x <- (1 - s) x + s e_i, so A x and A'A x update in O(rows + k) from the
  // Gram matrix instead of O(rows k): this makes synthdid's 10000-iteration cap affordable for many donors.
  const MatrixXd gram = a.transpose() * a;
  const VectorXd atb = a.transpose() * b;
  VectorXd ax = a * x;
  VectorXd gx = gram * x;
  const double target = min_decrease * min_decrease;
  double previous = 0.0, current = 0.0;
  int t = 0;
  while (t < max_iter && (t < 2 || previous - current > target)) {
    ++t;
    // Frank-Wolfe vertex: smallest entry of half the gradient A'(Ax - b) + eta x; ties go to the first index.
    const VectorXd half_grad = gx - atb + eta * x;
    Index i = 0;
    half_grad.minCoeff(&i);
    VectorXd dx = -x;
    dx(i) += 1.0;
    if (!dx.isZero(0.0)) {
      const VectorXd d_err = a.col(i) - ax;
      const double denom = d_err.squaredNorm() + eta * dx.squaredNorm();
      const double step = denom > 0 ? -((ax - b).dot(d_err) + eta * x.dot(dx)) / denom : 0.0;
      const double clamped = std::clamp(step, 0.0, 1.0);
      x += clamped * dx;
      ax += clamped * d_err;
      gx = (1.0 - clamped) * gx + clamped * gram.col(i);
    }
    previous = current;
    current = zeta * zeta * x.squaredNorm() + (ax - b).squaredNorm() / static_cast<double>(rows);
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
