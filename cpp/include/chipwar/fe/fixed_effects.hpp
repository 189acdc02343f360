// Fixed effects as integer codes, and the kernels that work on them: demeaning (alternating projections
// with Irons-Tuck acceleration), iterative singleton removal and recovery of the fixed-effect coefficients.
#pragma once

#include <vector>

#include "chipwar/common.hpp"

namespace chipwar::fe {

// A view of Q fixed effects over n observations: codes are column-major (n x Q), each column coded 0..G_q-1.
struct FixedEffects {
  const int32_t* codes = nullptr;
  Index n = 0;
  int n_fe = 0;
  std::vector<int32_t> n_groups;

  const int32_t* column(int q) const { return codes + static_cast<Index>(q) * n; }
  // Validates the codes against n_groups; throws Error naming the offending fixed effect.
  void validate() const;
};

struct DemeanOptions {
  double tol = 1e-8;     // stop when a sweep changes no value by more than tol * (1 + rms of the column)
  int max_iter = 10000;  // sweeps per column
};

struct DemeanResult {
  MatrixXd values;               // n x p, each column with every fixed effect projected out
  std::vector<int> iterations;   // sweeps used per column
  std::vector<bool> converged;   // false where max_iter was reached first
};

// Projects the fixed effects out of every column of x (weighted when weights is non-null).
// Columns are independent and run in parallel; the result does not depend on the thread count.
DemeanResult demean(const CRefMat& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt);

// Marks observations to keep after iteratively dropping fixed-effect groups of size one.
std::vector<uint8_t> singleton_keep_mask(const FixedEffects& fe);

// Renumbers the codes of every fixed effect to 0..G'-1 over the groups that occur, keeping their order
// (so sorted levels stay sorted). Returns, per fixed effect, the old code of each new group.
std::vector<std::vector<int32_t>> compact_codes(int32_t* codes, Index n, const std::vector<int32_t>& n_groups);

// Splits the fixed-effect component d (n) into per-fixed-effect coefficients. The first fixed effect carries
// the level; in every later one the first group is the reference (coefficient 0) when the design is connected.
struct FixefResult {
  std::vector<VectorXd> coefficients;
  int iterations = 0;
  bool converged = false;
};
FixefResult recover_fixef(const CRefVec& d, const FixedEffects& fe, const double* weights, const DemeanOptions& opt);

}  // namespace chipwar::fe
