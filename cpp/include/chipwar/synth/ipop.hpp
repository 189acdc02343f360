// The interior-point QP solver that R's Synth uses for the inner problem (kernlab's ipop, after Vanderbei's LOQO),
// for Synth's problem only: min c'w + w'Hw/2 subject to sum(w) = 1 and 0 <= w <= 1. It stops at `sigf` significant
// figures of agreement between the primal and dual objectives, so its weights are inexact; Synth's outer search sees
// that inexact loss, and its published weights depend on it (see adh_fit_synth).
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct IpopOptions {
  double margin = 5e-4;  // Synth's Margin.ipop: the step stays this fraction short of the boundary
  double sigf = 5;       // Synth's Sigf.ipop
  double bound = 10;     // Synth's Bound.ipop: lower bound of the starting slacks
  int max_iter = 1000;   // Synth's maxiter
};

// The primal solution. Throws Error where R's solve() would stop: a linear system singular or with reciprocal
// condition number below machine epsilon.
VectorXd ipop_simplex(const MatrixXd& h, const VectorXd& c, const IpopOptions& options = {});

}  // namespace chipwar::synth
