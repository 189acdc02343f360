// All group-time ATTs of Callaway & Sant'Anna (2021) on a balanced panel, one two-period DiD per (g, t) cell,
// computed in parallel. Mirrors R did's compute.att_gt for panel data.
#pragma once

#include <string>
#include <vector>

#include "chipwar/common.hpp"
#include "chipwar/did/two_period.hpp"

namespace chipwar::did {

struct GroupTimeCell {
  int period = 0;          // column of y for the period whose effect is estimated
  int base_period = 0;     // column of y for the comparison (base) period
  double cohort = 0.0;     // first treated period of the treated group
  double control_after = 0.0;  // comparison units: cohort > control_after (never treated: cohort = +inf) and != cohort
};

struct GroupTimeInput {
  CRefMat y;           // n x T outcomes, units by periods
  CRefVec cohort;      // n first treated period, +inf for never treated
  CRefMat covariates;  // (n * T) x k, period-major (row p * n + i); k = 0 for none
  CRefVec weights;     // n sampling weights
  Method method;
};

struct GroupTimeResult {
  VectorXd att;       // one per cell
  MatrixXd inf;       // n x cells, influence functions on the scale of R did (V = inf' inf / n)
  VectorXi n_treated;
  VectorXi n_control;
  std::vector<uint8_t> ps_converged;
  VectorXd max_pscore;
};

// Zero-filled result for n rows and n_cells cells (every propensity score "converged").
GroupTimeResult empty_group_time_result(Index n, Index n_cells);

// Stores cell j's fit, its influence function (one entry per row in rows) scaled to the whole sample as did does.
void store_cell_fit(GroupTimeResult& res, Index j, const TwoPeriodFit& fit, const std::vector<Index>& rows);

// Throws Error("cell j: ...") for the first cell j whose message is not empty (messages collected in parallel).
void throw_first_cell_error(const std::vector<std::string>& errors);

// Throws Error naming the first cell that failed (empty group, singular design).
GroupTimeResult group_time_att(const GroupTimeInput& in, const std::vector<GroupTimeCell>& cells);

}  // namespace chipwar::did
