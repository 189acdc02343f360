// Derivative-free Nelder-Mead minimisation with the standard coefficients (reflection 1, expansion 2, contraction
// and shrink 1/2) and the stopping rule of SciPy's implementation, which pysyncon uses for Synth's V search: stop when
// every vertex is within `xatol` of the best one (max-norm) and every value within `fatol` of the best value.
#pragma once

#include <functional>

#include "chipwar/common.hpp"

namespace chipwar::synth {

struct NelderMeadOptions {
  int max_iter = 1000;
  double xatol = 1e-4;
  double fatol = 1e-4;
  double nonzero_step = 0.05;  // initial vertex i: x0 with coordinate i scaled by (1 + nonzero_step) ...
  double zero_step = 0.00025;  // ... or set to zero_step when it is zero
};

struct NelderMeadResult {
  VectorXd x;
  double f = 0.0;
  int iterations = 0;
  bool converged = false;  // the tolerances were met before max_iter
};

NelderMeadResult nelder_mead(const std::function<double(const VectorXd&)>& f, const VectorXd& x0,
                             const NelderMeadOptions& options);

}  // namespace chipwar::synth
