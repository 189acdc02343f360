#include "chipwar/did/group_time_rc.hpp"

#include <array>
#include <cmath>
#include <string>

#include "chipwar/did/two_period_rc.hpp"

namespace chipwar::did {
namespace {

const char* const kCellNames[4] = {"comparison units in the base period", "comparison units in period t",
                                   "treated units in the base period", "treated units in period t"};

}  // namespace

GroupTimeResult group_time_att_rc(const GroupTimeRcInput& in, const std::vector<GroupTimeCell>& cells) {
  const Index n = in.y.size();
  const Index k = in.covariates.cols();
  const Index n_cells = static_cast<Index>(cells.size());
  if (in.period.size() != n || in.cohort.size() != n || in.weights.size() != n || (k > 0 && in.covariates.rows() != n))
    throw Error("group_time_att_rc: inputs of different lengths");

  GroupTimeResult res = empty_group_time_result(n, n_cells);
  std::vector<std::string> errors(n_cells);

  // Cells are independent; each writes only its own column, so the result does not depend on the threads.
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index j = 0; j < n_cells; ++j) {
    const GroupTimeCell& c = cells[j];
    try {
      std::vector<Index> rows;
      std::array<Index, 4> counts{};  // observations per (treated, post) cell, index 2 * treated + post
      for (Index i = 0; i < n; ++i) {
        const int p = in.period[i];
        if (p != c.period && p != c.base_period) continue;
        const double g = in.cohort[i];
        const bool treated = g == c.cohort;
        if (!treated && !(std::isinf(g) || g > c.control_after)) continue;
        rows.push_back(i);
        ++counts[2 * treated + (p == c.period)];
      }
      res.n_treated[j] = static_cast<int32_t>(counts[2] + counts[3]);
      res.n_control[j] = static_cast<int32_t>(counts[0] + counts[1]);
      if (res.n_control[j] == 0) throw Error("no comparison units (neither never-treated nor not-yet-treated)");
      for (int q = 0; q < 4; ++q)
        if (counts[q] == 0) throw Error(std::string("no observations of ") + kCellNames[q]);
      const Index n1 = static_cast<Index>(rows.size());
      VectorXd y(n1), post(n1), d(n1), w(n1);
      MatrixXd x(n1, k + 1);
      for (Index r = 0; r < n1; ++r) {
        const Index i = rows[r];
        y[r] = in.y[i];
        post[r] = in.period[i] == c.period ? 1.0 : 0.0;
        d[r] = in.cohort[i] == c.cohort ? 1.0 : 0.0;
        w[r] = in.weights[i];
        x(r, 0) = 1.0;
        for (Index q = 0; q < k; ++q) x(r, q + 1) = in.covariates(i, q);
      }
      store_cell_fit(res, j, two_period_rc(y, post, d, x, w, in.method), rows);
    } catch (const std::exception& e) {
      errors[j] = e.what();
    }
  }
  throw_first_cell_error(errors);
  return res;
}

}  // namespace chipwar::did
