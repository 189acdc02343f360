#include "chipwar/did/group_time.hpp"

#include <cmath>

namespace chipwar::did {

GroupTimeResult empty_group_time_result(Index n, Index n_cells) {
  GroupTimeResult res;
  res.att = VectorXd::Zero(n_cells);
  res.inf = MatrixXd::Zero(n, n_cells);
  res.n_treated = VectorXi::Zero(n_cells);
  res.n_control = VectorXi::Zero(n_cells);
  res.ps_converged.assign(n_cells, 1);
  res.max_pscore = VectorXd::Zero(n_cells);
  return res;
}

void store_cell_fit(GroupTimeResult& res, Index j, const TwoPeriodFit& fit, const std::vector<Index>& rows) {
  res.att[j] = fit.att;
  res.ps_converged[j] = fit.ps_converged ? 1 : 0;
  res.max_pscore[j] = fit.max_pscore;
  // did rescales by n / n1 because the cell uses only its n1 rows (treated and comparison units or observations).
  const double scale = static_cast<double>(res.inf.rows()) / static_cast<double>(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) res.inf(rows[r], j) = scale * fit.inf[static_cast<Index>(r)];
}

void throw_first_cell_error(const std::vector<std::string>& errors) {
  for (size_t j = 0; j < errors.size(); ++j)
    if (!errors[j].empty()) throw Error("cell " + std::to_string(j) + ": " + errors[j]);
}

GroupTimeResult group_time_att(const GroupTimeInput& in, const std::vector<GroupTimeCell>& cells) {
  const Index n = in.y.rows();
  const Index n_periods = in.y.cols();
  const Index k = in.covariates.cols();
  const Index n_cells = static_cast<Index>(cells.size());
  if (in.cohort.size() != n || in.weights.size() != n) throw Error("group_time_att: inputs of different lengths");
  if (k > 0 && in.covariates.rows() != n * n_periods)
    throw Error("group_time_att: covariates must have one row per unit and period");
  for (const auto& c : cells)
    if (c.period < 0 || c.period >= n_periods || c.base_period < 0 || c.base_period >= n_periods)
      throw Error("group_time_att: a cell refers to a period outside the panel");

  GroupTimeResult res = empty_group_time_result(n, n_cells);
  std::vector<std::string> errors(n_cells);

  // Cells are independent; each writes only its own column, so the result does not depend on the threads.
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index j = 0; j < n_cells; ++j) {
    const GroupTimeCell& c = cells[j];
    try {
      std::vector<Index> rows;
      rows.reserve(n);
      Index n_treat = 0;
      for (Index i = 0; i < n; ++i) {
        const double g = in.cohort[i];
        const bool treated = g == c.cohort;
        const bool control = !treated && (std::isinf(g) || g > c.control_after);
        if (treated || control) rows.push_back(i);
        n_treat += treated;
      }
      const Index n1 = static_cast<Index>(rows.size());
      res.n_treated[j] = static_cast<int32_t>(n_treat);
      res.n_control[j] = static_cast<int32_t>(n1 - n_treat);
      if (n_treat == 0) throw Error("no treated units");
      if (n1 == n_treat) throw Error("no comparison units (neither never-treated nor not-yet-treated)");
      // Covariates are taken in the earlier of the two periods, as did does.
      const Index cov_period = std::min(c.period, c.base_period);
      VectorXd dy(n1), d(n1), w(n1);
      MatrixXd x(n1, k + 1);
      for (Index r = 0; r < n1; ++r) {
        const Index i = rows[r];
        dy[r] = in.y(i, c.period) - in.y(i, c.base_period);
        d[r] = in.cohort[i] == c.cohort ? 1.0 : 0.0;
        w[r] = in.weights[i];
        x(r, 0) = 1.0;
        for (Index q = 0; q < k; ++q) x(r, q + 1) = in.covariates(cov_period * n + i, q);
      }
      store_cell_fit(res, j, two_period_did(dy, d, x, w, in.method), rows);
    } catch (const std::exception& e) {
      errors[j] = e.what();
    }
  }
  throw_first_cell_error(errors);
  return res;
}

}  // namespace chipwar::did
