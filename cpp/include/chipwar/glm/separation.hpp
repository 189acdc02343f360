// Detection of observations whose Poisson fitted value is zero at the (non-existent) maximum likelihood:
// separation in the sense of Santos Silva & Tenreyro (2010) and Correia, Guimaraes & Zylkin (2021).
#pragma once

#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/fe/fixed_effects.hpp"

namespace chipwar::glm {

struct SeparationOptions {
  double tol = 1e-6;          // a certificate value above tol (relative to its largest) marks separation
  int max_iter = 1000;        // rectifier iterations
  double fixef_tol = 1e-8;    // demeaning tolerance of the auxiliary regressions (well below tol)
  int fixef_max_iter = 10000;
  double collin_tol = 1e-10;
};

struct SeparationResult {
  std::vector<uint8_t> separated;  // per observation
  int iterations = 0;
  bool converged = false;
};

// Observations in a group (of any fixed effect) whose outcome is zero throughout.
std::vector<uint8_t> zero_outcome_groups(const CRefVec& y, const fe::FixedEffects& fe);

// The iterated rectifier ("ReLU") method: find z = X g + fixed effects with z = 0 where y > 0 and z >= 0 where
// y = 0 by repeated weighted regressions of u on the regressors, rectifying u at zero in between; the
// observations with z > 0 are separated.
SeparationResult relu_separation(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe,
                                 const SeparationOptions& opt);

}  // namespace chipwar::glm
