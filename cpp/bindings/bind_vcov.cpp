#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "chipwar/stats/hac.hpp"
#include "chipwar/stats/wild_bootstrap.hpp"

namespace chipwar::bindings {

void bind_vcov(py::module_& m) {
  using IntVec = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
  m.def(
      "newey_west_meat",
      [](const Eigen::Ref<const MatrixXd>& scores, const IntVec& panel, const IntVec& period, int lags) {
        if (panel.size() != scores.rows() || period.size() != scores.rows())
          throw Error("newey_west_meat: panel, period and scores have different lengths");
        py::gil_scoped_release release;
        return stats::newey_west_meat(scores, panel.data(), period.data(), lags);
      },
      py::arg("scores"), py::arg("panel"), py::arg("period"), py::arg("lags"),
      "Newey-West meat within panels with Bartlett weights (periods are 0..T-1 positions).");

  m.def(
      "wild_bootstrap_t",
      [](const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const MatrixXd>& c, int64_t first, int64_t count,
         const std::string& weights, uint64_t seed) {
        stats::WildWeights w;
        if (weights == "rademacher") {
          w = stats::WildWeights::rademacher;
        } else if (weights == "webb") {
          w = stats::WildWeights::webb;
        } else {
          throw Error("wild bootstrap: weights must be 'rademacher' or 'webb', got '" + weights + "'");
        }
        py::gil_scoped_release release;
        return stats::wild_bootstrap_t(a, c, first, count, w, seed);
      },
      py::arg("a"), py::arg("c"), py::arg("first"), py::arg("count"), py::arg("weights"), py::arg("seed"),
      "Bootstrap t statistics of replicates first..first+count-1 (closed form; see wild_bootstrap.hpp).");
}

}  // namespace chipwar::bindings
