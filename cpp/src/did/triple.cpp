#include "chipwar/did/triple.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace chipwar::did {
namespace {

// Subgroups of a cell, as triplediff numbers them.
constexpr int kTreatedEligible = 4, kTreatedIneligible = 3, kComparisonEligible = 2, kComparisonIneligible = 1;

const char* subgroup_name(int s) {
  switch (s) {
    case kTreatedEligible: return "treated-and-eligible (cohort g, partition 1)";
    case kTreatedIneligible: return "treated-but-ineligible (cohort g, partition 0)";
    case kComparisonEligible: return "eligible comparison (partition 1)";
    default: return "ineligible comparison (partition 0)";
  }
}

struct CellData {
  const TripleInput& in;
  const GroupTimeCell& cell;
  Index cov_period;
};

struct DddFit {
  double att = 0.0;
  VectorXd inf;  // n entries, on R did's scale (n / n_k times each DiD's own influence function)
  bool converged = true;
  double max_pscore = 0.0;
};

// One DDD of cohort g against the comparison units in `rows` (units with cohort != g are comparisons).
DddFit one_ddd(const CellData& cd, const std::vector<Index>& rows) {
  const TripleInput& in = cd.in;
  const Index n = in.y.rows();
  const Index k = in.covariates.cols();
  std::vector<int> subgroup(rows.size());
  int counts[5] = {0, 0, 0, 0, 0};
  for (size_t r = 0; r < rows.size(); ++r) {
    const Index i = rows[r];
    const bool treated = in.cohort[i] == cd.cell.cohort;
    const bool eligible = in.partition[i] == 1.0;
    subgroup[r] = treated ? (eligible ? kTreatedEligible : kTreatedIneligible)
                          : (eligible ? kComparisonEligible : kComparisonIneligible);
    ++counts[subgroup[r]];
  }
  for (int s = kTreatedEligible; s >= kComparisonIneligible; --s)
    if (counts[s] == 0) throw Error(std::string("no ") + subgroup_name(s) + " units");

  DddFit out;
  out.inf = VectorXd::Zero(n);
  // DDD = DiD(4 vs 3) + DiD(4 vs 2) - DiD(4 vs 1)
  for (const int comparison : {kTreatedIneligible, kComparisonEligible, kComparisonIneligible}) {
    const double sign = comparison == kComparisonIneligible ? -1.0 : 1.0;
    const Index m = counts[kTreatedEligible] + counts[comparison];
    VectorXd dy(m), d(m), w(m);
    MatrixXd x(m, k + 1);
    std::vector<Index> sub;
    sub.reserve(m);
    for (size_t r = 0; r < rows.size(); ++r) {
      if (subgroup[r] != kTreatedEligible && subgroup[r] != comparison) continue;
      const Index i = rows[r];
      const Index q = static_cast<Index>(sub.size());
      dy[q] = in.y(i, cd.cell.period) - in.y(i, cd.cell.base_period);
      d[q] = subgroup[r] == kTreatedEligible ? 1.0 : 0.0;
      w[q] = in.weights[i];
      x(q, 0) = 1.0;
      for (Index c = 0; c < k; ++c) x(q, c + 1) = in.covariates(cd.cov_period * n + i, c);
      sub.push_back(i);
    }
    const TwoPeriodFit fit = two_period_did(dy, d, x, w, in.method);
    out.att += sign * fit.att;
    out.converged = out.converged && fit.ps_converged;
    out.max_pscore = std::max(out.max_pscore, fit.max_pscore);
    const double scale = sign * static_cast<double>(n) / static_cast<double>(m);
    for (Index q = 0; q < m; ++q) out.inf[sub[q]] += scale * fit.inf[q];
  }
  return out;
}

}  // namespace

TripleResult triple_group_time(const TripleInput& in, const std::vector<GroupTimeCell>& cells) {
  const Index n = in.y.rows();
  const Index n_periods = in.y.cols();
  const Index n_cells = static_cast<Index>(cells.size());
  if (in.cohort.size() != n || in.weights.size() != n || in.partition.size() != n)
    throw Error("triple_group_time: inputs of different lengths");
  if (in.covariates.cols() > 0 && in.covariates.rows() != n * n_periods)
    throw Error("triple_group_time: covariates must have one row per unit and period");
  for (const auto& c : cells)
    if (c.period < 0 || c.period >= n_periods || c.base_period < 0 || c.base_period >= n_periods)
      throw Error("triple_group_time: a cell refers to a period outside the panel");

  TripleResult res{empty_group_time_result(n, n_cells), VectorXi::Ones(n_cells)};
  std::vector<std::string> errors(n_cells);

  // Cells are independent; each writes only its own column, so the result does not depend on the threads.
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index j = 0; j < n_cells; ++j) {
    const GroupTimeCell& c = cells[j];
    if (c.period == c.base_period) continue;  // universal base period's own cell: 0 by construction
    try {
      std::vector<Index> treated, comparison;
      for (Index i = 0; i < n; ++i) {
        const double g = in.cohort[i];
        if (g == c.cohort)
          treated.push_back(i);
        else if (std::isinf(g) || g > c.control_after)
          comparison.push_back(i);
      }
      Index n_eligible = 0;
      for (const Index i : treated) n_eligible += in.partition[i] == 1.0;
      res.cells.n_treated[j] = static_cast<int32_t>(n_eligible);
      res.cells.n_control[j] = static_cast<int32_t>(treated.size() + comparison.size() - n_eligible);
      if (treated.empty()) throw Error("no treated units");
      if (comparison.empty()) throw Error("no comparison units (neither never-treated nor not-yet-treated)");
      // Covariates are taken in the earlier of the two periods, as att_gt does.
      const CellData cd{in, c, std::min(c.period, c.base_period)};

      std::vector<double> comparison_cohorts;
      for (const Index i : comparison) comparison_cohorts.push_back(in.cohort[i]);
      std::sort(comparison_cohorts.begin(), comparison_cohorts.end());
      comparison_cohorts.erase(std::unique(comparison_cohorts.begin(), comparison_cohorts.end()),
                               comparison_cohorts.end());
      const Index n_comp = static_cast<Index>(comparison_cohorts.size());
      res.n_comparison_cohorts[j] = static_cast<int32_t>(n_comp);

      std::vector<DddFit> fits;
      for (const double cohort : comparison_cohorts) {
        std::vector<Index> rows = treated;
        for (const Index i : comparison)
          if (in.cohort[i] == cohort) rows.push_back(i);
        std::sort(rows.begin(), rows.end());
        try {
          fits.push_back(one_ddd(cd, rows));
        } catch (const Error& e) {
          if (n_comp == 1) throw;
          throw Error(std::string(e.what()) + " against comparison cohort " +
                      (std::isinf(cohort) ? std::string("never treated") : std::to_string(cohort)));
        }
      }
      double att = fits[0].att;
      VectorXd inf = fits[0].inf;
      if (n_comp > 1) {
        // GMM over comparison cohorts (triplediff's Omega is their influence functions' covariance; the weights do
        // not depend on its scale, and the influence functions have mean zero).
        MatrixXd psi(n, n_comp);
        VectorXd atts(n_comp);
        for (Index q = 0; q < n_comp; ++q) {
          psi.col(q) = fits[q].inf;
          atts[q] = fits[q].att;
        }
        const MatrixXd omega = psi.transpose() * psi / static_cast<double>(n);
        Eigen::LDLT<MatrixXd> ldlt(omega);
        if (ldlt.info() != Eigen::Success || !(ldlt.rcond() > 1e-12))
          throw Error("the DDDs against the comparison cohorts have a degenerate covariance (perfectly correlated); "
                      "use control='never'");
        const VectorXd omega_inv_one = ldlt.solve(VectorXd::Ones(n_comp));
        const VectorXd w = omega_inv_one / omega_inv_one.sum();
        att = w.dot(atts);
        inf = psi * w;
      }
      res.cells.att[j] = att;
      res.cells.inf.col(j) = inf;
      bool converged = true;
      double max_ps = 0.0;
      for (const auto& f : fits) {
        converged = converged && f.converged;
        max_ps = std::max(max_ps, f.max_pscore);
      }
      res.cells.ps_converged[j] = converged ? 1 : 0;
      res.cells.max_pscore[j] = max_ps;
    } catch (const std::exception& e) {
      errors[j] = e.what();
    }
  }
  throw_first_cell_error(errors);
  return res;
}

}  // namespace chipwar::did
