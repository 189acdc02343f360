// Synthetic difference-in-differences on a balanced block panel (controls first, then treated units; pre-periods
// first, then post-periods), with synthdid's SC and DID special cases and its replicate-based standard errors.
#pragma once

#include <vector>

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct SdidOptions {
  double zeta_omega = 0.0;
  double zeta_lambda = 0.0;
  bool omega_intercept = true;
  bool lambda_intercept = true;
  bool update_omega = true;   // false: omega is fixed at omega_start
  bool update_lambda = true;  // false: lambda is fixed at lambda_start
  double min_decrease = 0.0;
  int max_iter = 10000;
  int max_iter_pre_sparsify = 100;
  bool sparsify = true;
};

struct SdidFit {
  double estimate = 0.0;
  VectorXd omega;   // N0 control-unit weights
  VectorXd lambda;  // T0 pre-period weights
  bool converged = true;
};

// y is N x T with rows 0..n0-1 the controls and columns 0..t0-1 the pre-periods. Empty starts mean uniform.
SdidFit sdid_fit(const CRefMat& y, Index n0, Index t0, const SdidOptions& opts, const VectorXd& omega_start,
                 const VectorXd& lambda_start);

// Re-estimates on row subsets of y, in parallel; replicate r uses rows index[offsets[r] .. offsets[r+1]) of which
// the first n0s[r] are controls (indices into the controls of y, so the starting omega is the fitted one restricted
// to them and renormalised, as synthdid's placebo, bootstrap and jackknife do). The result for replicate r depends
// only on its rows, so it is the same for any number of threads.
VectorXd sdid_replicates(const CRefMat& y, Index t0, const SdidOptions& opts, const VectorXd& omega,
                         const VectorXd& lambda, const std::vector<int64_t>& index, const std::vector<int64_t>& offsets,
                         const std::vector<int64_t>& n0s, bool* all_converged);

}  // namespace chipwar::synth
