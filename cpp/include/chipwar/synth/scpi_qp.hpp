// The optimisation problems of scpi (Cattaneo, Feng, Palomba & Titiunik): constrained least-squares weights and the
// in-sample (weight-uncertainty) prediction bounds. Variables x = (w, gamma): the first J entries are the donor
// weights, which lie in one of scpi's constraint sets; the rest (constant, covariate adjustments) are free.
#pragma once

#include <limits>

#include "chipwar/common.hpp"

namespace chipwar::synth {

enum class WeightConstraint {
  none,     // OLS: w free
  simplex,  // w >= lower, sum(w) = q
  lasso,    // ||w||_1 <= q
  ridge,    // ||w||_2 <= q
  l1_l2,    // w >= lower, sum(w) = q, ||w||_2 <= q2
};

struct WeightSet {
  WeightConstraint kind = WeightConstraint::simplex;
  Index n_weights = 0;  // J
  double q = 1.0;
  double q2 = std::numeric_limits<double>::infinity();
  VectorXd lower;  // simplex / L1-L2 lower bounds of w (J entries, -inf allowed); empty means 0
};

struct QpSolution {
  VectorXd x;
  double l2_multiplier = 0.0;  // nu >= 0 of the L2 ball (ridge, L1-L2), in 1/2 x'Hx + f'x + nu/2 (||w||^2 - q^2)
  bool converged = true;
  int iterations = 0;  // active-set iterations, summed over the L2 multiplier search
};

// min 1/2 x'Hx + f'x over x in the set (H symmetric positive semidefinite). Polyhedral sets by a primal active-set
// method (Nocedal & Wright, Algorithm 16.3) whose steps are exact solves on the current face, with a ridge of
// 1e-13 times the mean diagonal of H so that degenerate problems (collinear donors) stay strictly convex; the L2
// ball by Brent's method on its multiplier (||w(nu)|| is monotone in nu), to 1e-13 relative.
QpSolution scpi_qp(const CRefMat& h, const CRefVec& f, const WeightSet& set);

// Largest violation of the KKT conditions at (x, nu) relative to the scale of the gradient (tests use it).
double scpi_qp_kkt_violation(const CRefMat& h, const CRefVec& f, const WeightSet& set, const CRefVec& x, double nu);

struct InSampleBounds {
  MatrixXd lower, upper;  // draws x horizons; NaN where the problem had no finite solution
  int failures = 0;
};

// scpi's in-sample uncertainty: for every draw g (a column of `draws`) and every row p of `p_rows`, the minimum
// and the maximum of p'(beta - x) over {x in set : (x - beta)'Q(x - beta) - 2 g'(x - beta) <= 0}. Solved through
// the Lagrangian: for s >= 0, x(s) minimises s c'x + (x - beta)'Q(x - beta) - 2 g'(x - beta) over the set, and s
// is the root of the (nondecreasing) constraint value along x(s). Draws run in parallel; results do not depend on
// the number of threads.
InSampleBounds scpi_insample_bounds(const CRefMat& q, const CRefVec& beta, const CRefMat& draws, const CRefMat& p_rows,
                                    const WeightSet& set);

}  // namespace chipwar::synth
