#include "chipwar/synth/conformal.hpp"

#include <cmath>

#include "chipwar/synth/simplex.hpp"

namespace chipwar::synth {

VectorXd conformal_pvalues(const CRefMat& y0, const CRefVec& y1, const CRefVec& grid) {
  const Index t = y0.rows();
  if (y1.size() != t || t < 2) throw Error("conformal: need at least one pre-period and outcomes of matching length");
  if (!y0.allFinite() || !y1.allFinite() || !grid.allFinite())
    throw Error("conformal: outcomes or the grid contain NaN or infinite values");
  VectorXd p(grid.size());
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index g = 0; g < grid.size(); ++g) {
    VectorXd target = y1;
    target(t - 1) -= grid(g);
    const SimplexFit fit = simplex_least_squares(y0, target);
    const VectorXd u = (target - y0 * fit.w).cwiseAbs();
    const double tested = u(t - 1);
    Index at_least = 0;
    // Ties count as "at least as large" (the conservative convention); a relative slack absorbs rounding.
    for (Index s = 0; s < t; ++s) at_least += u(s) >= tested * (1.0 - 1e-12) ? 1 : 0;
    p(g) = static_cast<double>(at_least) / static_cast<double>(t);
  }
  return p;
}

}  // namespace chipwar::synth
