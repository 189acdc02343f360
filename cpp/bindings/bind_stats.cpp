#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/stats/distributions.hpp"
#include "chipwar/stats/linalg.hpp"

namespace chipwar::bindings {

void bind_stats(py::module_& m) {
  m.def("t_pvalue", py::vectorize(&stats::t_two_sided_pvalue), py::arg("t"), py::arg("df"),
        "Two-sided p-value of t under Student's t with df degrees of freedom (df <= 0 or inf: normal).");
  m.def("t_quantile", py::vectorize(&stats::t_quantile), py::arg("p"), py::arg("df"));
  m.def("chi2_sf", py::vectorize(&stats::chi2_sf), py::arg("x"), py::arg("df"));
  m.def("f_sf", py::vectorize(&stats::f_sf), py::arg("x"), py::arg("df1"), py::arg("df2"));
  m.def("normal_cdf", py::vectorize(&stats::normal_cdf), py::arg("x"));
  m.def("normal_quantile", py::vectorize(&stats::normal_quantile), py::arg("p"));

  m.def(
      "ols",
      [](const Eigen::Ref<const MatrixXd>& x, const Eigen::Ref<const VectorXd>& y,
         const std::optional<py::array_t<double, py::array::c_style>>& w, double collin_tol) {
        if (w && w->size() != x.rows()) throw Error("ols: weights have the wrong length");
        stats::OlsFit fit;
        {
          py::gil_scoped_release release;
          fit = stats::ols(x, y, optional_data(w), collin_tol);
        }
        std::vector<bool> kept(fit.kept.begin(), fit.kept.end());
        return py::make_tuple(kept, fit.coef, fit.bread, fit.resid);
      },
      py::arg("x"), py::arg("y"), py::arg("weights"), py::arg("collin_tol") = 1e-10,
      "Weighted least squares with in-order collinearity detection: (kept, coef, bread, resid).");

  m.def(
      "crossprod",
      [](const Eigen::Ref<const MatrixXd>& x, const std::optional<py::array_t<double, py::array::c_style>>& w) {
        if (w && w->size() != x.rows()) throw Error("crossprod: weights have the wrong length");
        py::gil_scoped_release release;
        return stats::weighted_crossprod(x, optional_data(w));
      },
      py::arg("x"), py::arg("weights") = py::none(), "X' W X.");

  m.def("independent_columns",
        [](const MatrixXd& gram, double tol) {
          const auto keep = stats::independent_columns(gram, tol);
          return std::vector<bool>(keep.begin(), keep.end());
        },
        py::arg("gram"), py::arg("tol") = 1e-10);

  m.def(
      "group_sums",
      [](const Eigen::Ref<const MatrixXd>& x, const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& codes,
         int32_t n_groups) {
        if (codes.size() != x.rows()) throw Error("group_sums: codes and data have different lengths");
        py::gil_scoped_release release;
        return stats::group_sums(x, codes.data(), n_groups);
      },
      py::arg("x"), py::arg("codes"), py::arg("n_groups"), "Column sums of x within groups (n x k -> G x k).");
}

}  // namespace chipwar::bindings
