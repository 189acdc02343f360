// scpi's optimisation problems (constrained least-squares weights, in-sample prediction bounds).
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/synth/scpi_qp.hpp"

namespace chipwar::bindings {
namespace {

synth::WeightSet weight_set(const std::string& kind, Index n_weights, double q, double q2, const VectorXd& lower) {
  synth::WeightSet set;
  if (kind == "ols") set.kind = synth::WeightConstraint::none;
  else if (kind == "simplex") set.kind = synth::WeightConstraint::simplex;
  else if (kind == "lasso") set.kind = synth::WeightConstraint::lasso;
  else if (kind == "ridge") set.kind = synth::WeightConstraint::ridge;
  else if (kind == "L1-L2") set.kind = synth::WeightConstraint::l1_l2;
  else throw Error("scpi: unknown weight constraint '" + kind + "'");
  set.n_weights = n_weights;
  set.q = q;
  set.q2 = q2;
  set.lower = lower;
  return set;
}

}  // namespace

void bind_scpi(py::module_& m) {
  m.def(
      "scpi_qp",
      [](const MatrixXd& h, const VectorXd& f, const std::string& kind, Index n_weights, double q, double q2,
         const VectorXd& lower) {
        const synth::WeightSet set = weight_set(kind, n_weights, q, q2, lower);
        synth::QpSolution s;
        {
          py::gil_scoped_release release;  // Python objects are built after the GIL is back
          s = synth::scpi_qp(h, f, set);
        }
        return py::make_tuple(s.x, s.l2_multiplier, s.converged, s.iterations);
      },
      py::arg("h"), py::arg("f"), py::arg("kind"), py::arg("n_weights"), py::arg("q"), py::arg("q2"), py::arg("lower"),
      "min x'Hx/2 + f'x with the first n_weights entries in scpi's set: (x, l2_multiplier, converged, iterations).");
  m.def(
      "scpi_qp_kkt_violation",
      [](const MatrixXd& h, const VectorXd& f, const std::string& kind, Index n_weights, double q, double q2,
         const VectorXd& lower, const VectorXd& x, double nu) {
        return synth::scpi_qp_kkt_violation(h, f, weight_set(kind, n_weights, q, q2, lower), x, nu);
      },
      py::arg("h"), py::arg("f"), py::arg("kind"), py::arg("n_weights"), py::arg("q"), py::arg("q2"), py::arg("lower"),
      py::arg("x"), py::arg("nu"), "Largest relative KKT violation of scpi_qp's problem at (x, nu).");
  m.def(
      "scpi_insample_bounds",
      [](const MatrixXd& q, const VectorXd& beta, const MatrixXd& draws, const MatrixXd& p_rows, const std::string& kind,
         Index n_weights, double q1, double q2, const VectorXd& lower) {
        const synth::WeightSet set = weight_set(kind, n_weights, q1, q2, lower);
        synth::InSampleBounds b;
        {
          py::gil_scoped_release release;
          b = synth::scpi_insample_bounds(q, beta, draws, p_rows, set);
        }
        return py::make_tuple(b.lower, b.upper, b.failures);
      },
      py::arg("q"), py::arg("beta"), py::arg("draws"), py::arg("p_rows"), py::arg("kind"), py::arg("n_weights"),
      py::arg("q1"), py::arg("q2"), py::arg("lower"),
      "scpi's in-sample bounds: min and max of p'(beta - x) per draw and row of P: (lower, upper, failures).");
}

}  // namespace chipwar::bindings
