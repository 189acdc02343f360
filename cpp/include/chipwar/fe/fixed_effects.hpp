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

struct DemeanStats {
  std::vector<int> iterations;   // sweeps used per column
  std::vector<bool> converged;   // false where max_iter was reached first
};

struct DemeanResult : DemeanStats {
  MatrixXd values;  // n x p, each column with every fixed effect projected out
};

// The fixed effects with the observations in the order the demeaning works in. The passes of the kernel gather
// and scatter into every fixed effect's coefficient arrays; for a fixed effect with hundreds of thousands of groups
// these arrays leave the cache and every access is a miss. Sorting the observations (stably) by the fixed effect
// with the most groups makes its accesses sequential, and leaves the random ones to the smaller fixed effects,
// whose arrays stay in cache. When even the largest fixed effect fits in cache, the original order is kept.
class SortedFixedEffects {
 public:
  explicit SortedFixedEffects(const FixedEffects& fe) : SortedFixedEffects(fe, true) {}
  // The codes as given, taken to be in working order already (a caller that keeps its data in the order of another
  // SortedFixedEffects' view): no reordering, no copy; sort_key says which fixed effect the rows are sorted by (the
  // other's sort_key(); -1: none), which the demeaning's row chunks rely on.
  static SortedFixedEffects as_given(const FixedEffects& fe, int sort_key) {
    SortedFixedEffects out(fe, false);
    out.sort_key_ = sort_key;
    return out;
  }
  // The codes in working order (a view into this object).
  FixedEffects view() const { return FixedEffects{codes_.empty() ? original_ : codes_.data(), n_, n_fe_, n_groups_}; }
  bool reordered() const { return !order_.empty(); }
  // The fixed effect the rows are sorted by (-1 when the original order is kept).
  int sort_key() const { return sort_key_; }
  // order()[k] is the original row at working position k (empty when the original order is kept).
  const std::vector<uint32_t>& order() const { return order_; }
  Index n() const { return n_; }
  int n_fe() const { return n_fe_; }

 private:
  SortedFixedEffects(const FixedEffects& fe, bool sort);

  const int32_t* original_;
  Index n_;
  int n_fe_;
  std::vector<int32_t> n_groups_;
  std::vector<uint32_t> order_;
  std::vector<int32_t> codes_;  // n x Q, column-major, in working order (empty when not reordered)
  int sort_key_ = -1;
};

// Projects the fixed effects out of every column of x (weighted when weights is non-null).
// Columns are independent and run in parallel; the result does not depend on the thread count.
DemeanResult demean(const CRefMat& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt);
// float32 columns (storage only: every column is demeaned in float64 and returned in float64).
DemeanResult demean(const CRefMatF& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt);
// The same with the working order built once (callers that demean repeatedly under the same fixed effects).
DemeanResult demean(const CRefMat& x, const SortedFixedEffects& fe, const double* weights, const DemeanOptions& opt);
// In place: overwrites every column of x with its demeaned values. The only extra memory is one working column
// per thread (none when the original order is kept) and the sorted weights, which is what lets IRLS on 10^8 rows
// keep its buffers to a handful of columns.
DemeanStats demean_in_place(Eigen::Ref<MatrixXd> x, const SortedFixedEffects& fe, const double* weights,
                            const DemeanOptions& opt);

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
