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
  // separation_screen: try the fast pass (fixed effects fitted on the positive rows alone, regressors' rank at
  // a loose demeaning tolerance) before the pass at fixef_tol; it decides only the clear cases.
  bool fast_screen = true;
};

struct SeparationResult {
  std::vector<uint8_t> separated;  // per observation
  int iterations = 0;
  bool converged = false;
};

// Observations in a group (of any fixed effect) whose outcome is zero throughout.
std::vector<uint8_t> zero_outcome_groups(const CRefVec& y, const fe::FixedEffects& fe);

// A sufficient condition for the absence of separation (Santos Silva & Tenreyro 2010): the regressors and fixed
// effects restricted to the rows with y > 0 determine every linear combination of them on all rows, i.e. the
// positive rows have the full rank of the whole design. Then no combination can vanish on the positives while
// being positive on some zero, so the rectifier can be skipped. Tested on one combination with arbitrary
// (deterministic pseudo-random) coefficients: predicted from the positive rows alone, it is reproduced on the
// zeros exactly when the condition holds (a combination that the positives leave undetermined is almost surely
// not reproduced). False means "may be separated" (including a demeaning that did not converge): run the rectifier.
bool separation_impossible(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe, const SeparationOptions& opt);

struct ScreenResult {
  bool impossible = false;  // separation_impossible's answer
  bool tight_pass = false;  // decided by the pass at fixef_tol (the fast pass could not decide, or was off)
};
// separation_impossible with how it was decided. The fast pass accepts only when the miss is below a tenth of the
// threshold and rejects only an order-one miss; everything in between, and every case where it cannot bound its
// errors (regressors nearly collinear on the positive rows, a slowly converging fit), goes to the tight pass,
// so the answer is the tight pass's.
ScreenResult separation_screen(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe,
                               const SeparationOptions& opt);

// The iterated rectifier ("ReLU") method: find z = X g + fixed effects with z = 0 where y > 0 and z >= 0 where
// y = 0 by repeated weighted regressions of u on the regressors, rectifying u at zero in between; the
// observations with z > 0 are separated.
SeparationResult relu_separation(const CRefMat& x, const CRefVec& y, const fe::FixedEffects& fe,
                                 const SeparationOptions& opt);

}  // namespace chipwar::glm
