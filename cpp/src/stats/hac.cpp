#include "chipwar/stats/hac.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace chipwar::stats {

MatrixXd newey_west_meat(const CRefMat& scores, const int32_t* panel, const int32_t* period, int lags) {
  if (lags < 0) throw Error("Newey-West: lags must be >= 0");
  const Index n = scores.rows();
  const Index k = scores.cols();
  // Order by (panel, period) so that each observation's lagged partners are just before it.
  std::vector<Index> order(n);
  std::iota(order.begin(), order.end(), Index{0});
  std::sort(order.begin(), order.end(), [&](Index a, Index b) {
    return panel[a] != panel[b] ? panel[a] < panel[b] : period[a] < period[b];
  });
  MatrixXd meat = scores.transpose() * scores;
  MatrixXd cross = MatrixXd::Zero(k, k);
  for (Index p = 1; p < n; ++p) {
    const Index i = order[p];
    if (panel[order[p - 1]] == panel[i] && period[order[p - 1]] == period[i])
      throw Error("Newey-West: the panel repeats period position " + std::to_string(period[i]) +
                  " (row " + std::to_string(i) + "); each unit may appear once per period");
    for (Index q = p - 1; q >= 0; --q) {
      const Index j = order[q];
      const int gap = period[i] - period[j];
      if (panel[j] != panel[i] || gap > lags) break;
      const double w = 1.0 - static_cast<double>(gap) / (lags + 1.0);
      cross.noalias() += w * scores.row(i).transpose() * scores.row(j);
    }
  }
  meat += cross + cross.transpose();
  return meat;
}

}  // namespace chipwar::stats
