// Least squares on the probability simplex: min ||A w - b||^2 subject to w >= 0, sum(w) = 1.
// The synthetic-control weight problem (donors are the columns of A).
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct SimplexFit {
  VectorXd w;
  bool converged = true;
  int iterations = 0;
};

// Primal active-set method (Nocedal & Wright, Algorithm 16.3) on the simplex. A ridge of 1e-13 times the mean
// squared column norm makes the problem strictly convex, so collinear or duplicate donors get a unique,
// deterministic answer (duplicates share weight equally) while the KKT conditions of the unridged problem still
// hold to about 1e-12 relative. `start`, if non-empty, is a feasible warm start (its positive entries start free).
SimplexFit simplex_least_squares(const CRefMat& a, const CRefVec& b, const VectorXd& start = VectorXd(),
                                 int max_iter = -1);

// The ridge used by simplex_least_squares for this A (exposed so gradients use the same objective).
double simplex_ridge(const CRefMat& a);

// Largest violation of the KKT conditions of min ||A w - b||^2 on the simplex, relative to the scale of the
// gradient: max over support of |g_i - mu|, over zeros of max(mu - g_i, 0), plus |sum(w) - 1| and max(-w, 0).
double simplex_kkt_violation(const CRefMat& a, const CRefVec& b, const CRefVec& w);

// An orthonormal basis (n x n-1) of the vectors whose entries sum to zero.
MatrixXd sum_zero_basis(Index n);

}  // namespace chipwar::synth
