// Heteroskedasticity- and autocorrelation-consistent "meat" matrices for panel data (Newey-West within panels;
// Driscoll-Kraay is Newey-West on the scores summed by period).
#pragma once

#include "chipwar/common.hpp"

namespace chipwar::stats {

// sum_l w_l sum_{pairs (i, j) in the same panel with period(i) - period(j) = l} (s_i s_j' + s_j s_i') plus S'S,
// with Bartlett weights w_l = 1 - l / (lags + 1). periods are integer positions (0..T-1) of the observations'
// time values; a panel must not repeat a period (throws Error naming the first duplicate).
MatrixXd newey_west_meat(const CRefMat& scores, const int32_t* panel, const int32_t* period, int lags);

}  // namespace chipwar::stats
