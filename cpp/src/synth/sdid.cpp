#include "chipwar/synth/sdid.hpp"

#include "chipwar/synth/frank_wolfe.hpp"

namespace chipwar::synth {
namespace {

// synthdid's collapsed form: controls x pre-periods, with the post-period mean of each control as a last column and
// the treated units' mean as a last row ((n0 + 1) x (t0 + 1)).
MatrixXd collapsed_form(const CRefMat& y, Index n0, Index t0) {
  const Index n = y.rows(), t = y.cols();
  MatrixXd c(n0 + 1, t0 + 1);
  c.topLeftCorner(n0, t0) = y.topLeftCorner(n0, t0);
  c.topRightCorner(n0, 1) = y.topRightCorner(n0, t - t0).rowwise().mean();
  c.bottomLeftCorner(1, t0) = y.bottomLeftCorner(n - n0, t0).colwise().mean();
  c(n0, t0) = y.bottomRightCorner(n - n0, t - t0).mean();
  return c;
}

// Fit once from `start` with the pre-sparsify cap, sparsify, then refit from there with the full cap. The first pass
// is deliberately short (synthdid's design), so only the final pass's convergence is reported.
FwFit fit_weights(const MatrixXd& problem, double zeta, bool intercept, const VectorXd& start,
                  const SdidOptions& opts) {
  FwFit first = fw_simplex_weights(problem, zeta, intercept, start, opts.min_decrease, opts.max_iter_pre_sparsify);
  if (!opts.sparsify) return first;
  return fw_simplex_weights(problem, zeta, intercept, sparsify_weights(first.weights), opts.min_decrease,
                            opts.max_iter);
}

VectorXd sum_normalize(const VectorXd& x) {
  const double s = x.sum();
  return s != 0 ? VectorXd(x / s) : VectorXd::Constant(x.size(), 1.0 / static_cast<double>(x.size()));
}

}  // namespace

SdidFit sdid_fit(const CRefMat& y, Index n0, Index t0, const SdidOptions& opts, const VectorXd& omega_start,
                 const VectorXd& lambda_start) {
  const Index n = y.rows(), t = y.cols();
  if (n0 < 1 || n0 >= n || t0 < 1 || t0 >= t) throw Error("sdid_fit: need controls, treated units, pre- and post-periods");
  SdidFit fit;
  fit.omega = omega_start.size() == n0 ? omega_start : VectorXd::Constant(n0, 1.0 / static_cast<double>(n0));
  fit.lambda = lambda_start.size() == t0 ? lambda_start : VectorXd::Constant(t0, 1.0 / static_cast<double>(t0));
  const MatrixXd c = collapsed_form(y, n0, t0);
  if (opts.update_lambda) {
    const FwFit f = fit_weights(c.topRows(n0), opts.zeta_lambda, opts.lambda_intercept, fit.lambda, opts);
    fit.lambda = f.weights;
    fit.converged = fit.converged && f.converged;
  }
  if (opts.update_omega) {
    const MatrixXd problem = c.leftCols(t0).transpose();  // t0 x (n0 + 1): periods as rows
    const FwFit f = fit_weights(problem, opts.zeta_omega, opts.omega_intercept, fit.omega, opts);
    fit.omega = f.weights;
    fit.converged = fit.converged && f.converged;
  }
  const Index n1 = n - n0, t1 = t - t0;
  // tau = (-omega, 1/N1)' Y (-lambda, 1/T1)
  VectorXd unit_w(n), time_w(t);
  unit_w.head(n0) = -fit.omega;
  unit_w.tail(n1).setConstant(1.0 / static_cast<double>(n1));
  time_w.head(t0) = -fit.lambda;
  time_w.tail(t1).setConstant(1.0 / static_cast<double>(t1));
  fit.estimate = unit_w.dot(y * time_w);
  return fit;
}

VectorXd sdid_replicates(const CRefMat& y, Index t0, const SdidOptions& opts, const VectorXd& omega,
                         const VectorXd& lambda, const std::vector<int64_t>& index, const std::vector<int64_t>& offsets,
                         const std::vector<int64_t>& n0s, bool* all_converged) {
  const Index reps = static_cast<Index>(n0s.size());
  if (static_cast<Index>(offsets.size()) != reps + 1) throw Error("sdid_replicates: offsets must have reps + 1 entries");
  for (int64_t i : index)
    if (i < 0 || i >= y.rows()) throw Error("sdid_replicates: a row index is out of range");
  for (Index r = 0; r < reps; ++r) {
    const int64_t size = offsets[r + 1] - offsets[r];
    if (n0s[r] < 1 || n0s[r] >= size) throw Error("sdid_replicates: each replicate needs controls and treated rows");
    for (int64_t j = 0; j < n0s[r]; ++j)
      if (index[offsets[r] + j] >= omega.size()) throw Error("sdid_replicates: a control row index is not a control");
  }
  VectorXd out(reps);
  std::vector<uint8_t> converged(reps, 1);
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index r = 0; r < reps; ++r) {
    const int64_t begin = offsets[r], size = offsets[r + 1] - offsets[r], n0 = n0s[r];
    MatrixXd sub(size, y.cols());
    VectorXd omega_start(n0);
    for (int64_t j = 0; j < size; ++j) sub.row(j) = y.row(index[begin + j]);
    for (int64_t j = 0; j < n0; ++j) omega_start(j) = omega(index[begin + j]);
    const SdidFit f = sdid_fit(sub, n0, t0, opts, sum_normalize(omega_start), lambda);
    out(r) = f.estimate;
    converged[r] = f.converged;
  }
  if (all_converged) {
    *all_converged = true;
    for (uint8_t c : converged) *all_converged = *all_converged && c;
  }
  return out;
}

}  // namespace chipwar::synth
