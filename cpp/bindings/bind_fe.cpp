#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/fe/fixed_effects.hpp"

namespace chipwar::bindings {
namespace {

void check_weights(const std::optional<py::array_t<double, py::array::c_style>>& w, Index n) {
  if (w && w->size() != n) throw Error("weights have the wrong length");
}

template <class Matrix>
py::tuple demean_binding(const Eigen::Ref<const Matrix>& x, const Codes& codes, const std::vector<int32_t>& n_groups,
                         const std::optional<py::array_t<double, py::array::c_style>>& w, double tol, int max_iter) {
  const auto f = make_fe(codes, n_groups);
  check_weights(w, f.n);
  fe::DemeanOptions opt{tol, max_iter};
  fe::DemeanResult res;
  {
    py::gil_scoped_release release;
    res = fe::demean(x, f, optional_data(w), opt);
  }
  std::vector<bool> conv(res.converged.begin(), res.converged.end());
  return py::make_tuple(std::move(res.values), res.iterations, conv);
}

}  // namespace

void bind_fe(py::module_& m) {
  // float64 first: pybind11 tries every overload without conversion before any with, so float32 arrays reach the
  // float32 overload uncopied
  m.def("demean", &demean_binding<MatrixXd>, py::arg("x"), py::arg("codes"), py::arg("n_groups"),
        py::arg("weights") = py::none(), py::arg("tol") = 1e-8, py::arg("max_iter") = 10000,
        "Project fixed effects out of every column of x: (values, iterations, converged).");
  m.def("demean", &demean_binding<Eigen::MatrixXf>, py::arg("x"), py::arg("codes"), py::arg("n_groups"),
        py::arg("weights") = py::none(), py::arg("tol") = 1e-8, py::arg("max_iter") = 10000,
        "The same for float32 columns (demeaned in float64; values are float64).");

  m.def(
      "singleton_keep_mask",
      [](const Codes& codes, const std::vector<int32_t>& n_groups) {
        const auto f = make_fe(codes, n_groups);
        std::vector<uint8_t> keep;
        {
          py::gil_scoped_release release;
          keep = fe::singleton_keep_mask(f);
        }
        py::array_t<bool> out(static_cast<py::ssize_t>(keep.size()));
        auto o = out.mutable_unchecked<1>();
        for (size_t i = 0; i < keep.size(); ++i) o(i) = keep[i] != 0;
        return out;
      },
      py::arg("codes"), py::arg("n_groups"), "Observations kept after iterative removal of singleton groups.");

  m.def(
      "compact_codes",
      [](const Codes& codes, const std::vector<int32_t>& n_groups) {
        if (codes.ndim() != 2 || codes.shape(1) != static_cast<py::ssize_t>(n_groups.size()))
          throw Error("compact_codes: codes must be (n x Q) with Q = len(n_groups)");
        py::array_t<int32_t, py::array::f_style> out({codes.shape(0), codes.shape(1)});
        std::copy(codes.data(), codes.data() + codes.size(), out.mutable_data());
        std::vector<std::vector<int32_t>> used;
        {
          py::gil_scoped_release release;
          used = fe::compact_codes(out.mutable_data(), codes.shape(0), n_groups);
        }
        return py::make_tuple(out, used);
      },
      py::arg("codes"), py::arg("n_groups"),
      "Renumber each column of (n x Q) codes to the groups that occur, in order: (codes, old code per new group).");

  m.def(
      "recover_fixef",
      [](const Eigen::Ref<const VectorXd>& d, const Codes& codes, const std::vector<int32_t>& n_groups,
         const std::optional<py::array_t<double, py::array::c_style>>& w, double tol, int max_iter) {
        const auto f = make_fe(codes, n_groups);
        check_weights(w, f.n);
        fe::FixefResult res;
        {
          py::gil_scoped_release release;
          res = fe::recover_fixef(d, f, optional_data(w), fe::DemeanOptions{tol, max_iter});
        }
        return py::make_tuple(res.coefficients, res.converged);
      },
      py::arg("d"), py::arg("codes"), py::arg("n_groups"), py::arg("weights") = py::none(), py::arg("tol") = 1e-10,
      py::arg("max_iter") = 100000, "Split a fixed-effect component into per-fixed-effect coefficients.");
}

}  // namespace chipwar::bindings
