#include <pybind11/eigen.h>

#include "bindings.hpp"
#include "chipwar/stats/hac.hpp"

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
}

}  // namespace chipwar::bindings
