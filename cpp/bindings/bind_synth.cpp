#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/synth/adh.hpp"
#include "chipwar/synth/conformal.hpp"
#include "chipwar/synth/frank_wolfe.hpp"
#include "chipwar/synth/ipop.hpp"
#include "chipwar/synth/r_optim.hpp"
#include "chipwar/synth/sdid.hpp"
#include "chipwar/synth/simplex.hpp"

namespace chipwar::bindings {
namespace {

synth::SdidOptions sdid_options(const py::dict& d) {
  synth::SdidOptions o;
  o.zeta_omega = d["zeta_omega"].cast<double>();
  o.zeta_lambda = d["zeta_lambda"].cast<double>();
  o.omega_intercept = d["omega_intercept"].cast<bool>();
  o.lambda_intercept = d["lambda_intercept"].cast<bool>();
  o.update_omega = d["update_omega"].cast<bool>();
  o.update_lambda = d["update_lambda"].cast<bool>();
  o.min_decrease = d["min_decrease"].cast<double>();
  o.max_iter = d["max_iter"].cast<int>();
  o.max_iter_pre_sparsify = d["max_iter_pre_sparsify"].cast<int>();
  o.sparsify = d["sparsify"].cast<bool>();
  return o;
}

py::dict optim_result(const synth::OptimResult& r) {
  py::dict d;
  d["x"] = r.x;
  d["value"] = r.value;
  d["fn_count"] = r.fn_count;
  d["gr_count"] = r.gr_count;
  d["converged"] = r.converged;
  return d;
}

// A Python objective for the optim emulations (tests and checks; the GIL stays held).
synth::Objective py_objective(const py::function& f) {
  return [f](const VectorXd& x) { return f(x).cast<double>(); };
}

py::dict adh_result(const synth::AdhFit& f) {
  py::dict d;
  d["w"] = f.w;
  d["v"] = f.v;
  d["mspe"] = f.mspe;
  d["converged"] = f.converged;
  d["best_start"] = f.best_start;
  return d;
}

}  // namespace

void bind_synth(py::module_& m) {
  m.def(
      "simplex_least_squares",
      [](const MatrixXd& a, const VectorXd& b) {
        py::gil_scoped_release release;
        const synth::SimplexFit f = synth::simplex_least_squares(a, b);
        return std::make_tuple(f.w, f.converged, f.iterations);
      },
      py::arg("a"), py::arg("b"), "min ||A w - b||^2 over the simplex (active set): (w, converged, iterations).");
  m.def("simplex_kkt_violation", &synth::simplex_kkt_violation, py::arg("a"), py::arg("b"), py::arg("w"),
        "Largest relative violation of the simplex least-squares KKT conditions at w.");
  m.def(
      "fw_simplex_weights",
      [](const MatrixXd& y, double zeta, bool intercept, const VectorXd& start, double min_decrease, int max_iter) {
        py::gil_scoped_release release;
        const synth::FwFit f = synth::fw_simplex_weights(y, zeta, intercept, start, min_decrease, max_iter);
        return std::make_tuple(f.weights, f.iterations, f.converged);
      },
      py::arg("y"), py::arg("zeta"), py::arg("intercept"), py::arg("start"), py::arg("min_decrease"),
      py::arg("max_iter"), "synthdid's regularised Frank-Wolfe weights: (weights, iterations, converged).");
  m.def(
      "sdid_fit",
      [](const MatrixXd& y, Index n0, Index t0, const py::dict& opts, const VectorXd& omega, const VectorXd& lambda) {
        const synth::SdidOptions o = sdid_options(opts);
        py::gil_scoped_release release;
        const synth::SdidFit f = synth::sdid_fit(y, n0, t0, o, omega, lambda);
        return std::make_tuple(f.estimate, f.omega, f.lambda, f.converged);
      },
      py::arg("y"), py::arg("n0"), py::arg("t0"), py::arg("opts"), py::arg("omega"), py::arg("lambda_"),
      "Synthetic DiD on a block panel: (estimate, omega, lambda, converged).");
  m.def(
      "sdid_replicates",
      [](const MatrixXd& y, Index t0, const py::dict& opts, const VectorXd& omega, const VectorXd& lambda,
         const std::vector<int64_t>& index, const std::vector<int64_t>& offsets, const std::vector<int64_t>& n0s) {
        const synth::SdidOptions o = sdid_options(opts);
        bool converged = true;
        VectorXd est;
        {
          py::gil_scoped_release release;
          est = synth::sdid_replicates(y, t0, o, omega, lambda, index, offsets, n0s, &converged);
        }
        return std::make_tuple(est, converged);
      },
      py::arg("y"), py::arg("t0"), py::arg("opts"), py::arg("omega"), py::arg("lambda_"), py::arg("index"),
      py::arg("offsets"), py::arg("n0s"), "SDID estimates on row subsets (placebo, bootstrap, jackknife).");
  m.def(
      "adh_fit_many",
      [](const std::vector<std::tuple<MatrixXd, VectorXd, MatrixXd, VectorXd>>& problems,
         const std::vector<VectorXd>& fixed_v, int max_iter, int random_starts, const std::string& v_search) {
        if (v_search != "global" && v_search != "synth")
          throw std::invalid_argument("adh_fit_many: v_search must be 'global' or 'synth'");
        const auto search = v_search == "synth" ? synth::VSearch::synth : synth::VSearch::global;
        std::vector<synth::AdhProblem> ps;
        ps.reserve(problems.size());
        for (const auto& [x0, x1, z0, z1] : problems) ps.push_back({x0, x1, z0, z1});
        std::vector<synth::AdhFit> fits;
        {
          py::gil_scoped_release release;
          fits = synth::adh_fit_many(ps, fixed_v, max_iter, random_starts, search);
        }
        py::list out;
        for (const auto& f : fits) out.append(adh_result(f));
        return out;
      },
      py::arg("problems"), py::arg("fixed_v"), py::arg("max_iter") = 200, py::arg("random_starts") = 0,
      py::arg("v_search") = "global",
      "ADH synthetic control for (X0, x1, Z0, z1) problems: V optimised (or fixed_v[i] when non-empty), in parallel.");
  m.def(
      "optim_nelder_mead",
      [](const py::function& f, const VectorXd& x0, int max_fn) {
        return optim_result(synth::optim_nelder_mead(py_objective(f), x0, max_fn));
      },
      py::arg("f"), py::arg("x0"), py::arg("max_fn") = 500,
      "R optim's Nelder-Mead (as Synth runs it): dict with x, value, fn_count, gr_count, converged.");
  m.def(
      "optim_bfgs",
      [](const py::function& f, const VectorXd& x0, int max_iter) {
        return optim_result(synth::optim_bfgs(py_objective(f), x0, max_iter));
      },
      py::arg("f"), py::arg("x0"), py::arg("max_iter") = 100,
      "R optim's BFGS with finite-difference gradients (as Synth runs it): dict as optim_nelder_mead.");
  m.def(
      "synth_ipop",
      [](const MatrixXd& h, const VectorXd& c) {
        py::gil_scoped_release release;
        return synth::ipop_simplex(h, c);
      },
      py::arg("h"), py::arg("c"),
      "kernlab's ipop with Synth's settings for min c'w + w'Hw/2 on the simplex (inexact by design).");
  m.def(
      "conformal_pvalues",
      [](const MatrixXd& y0, const VectorXd& y1, const VectorXd& grid) {
        py::gil_scoped_release release;
        return synth::conformal_pvalues(y0, y1, grid);
      },
      py::arg("y0"), py::arg("y1"), py::arg("grid"), "Conformal p-values of H0: effect = theta for each theta.");
}

}  // namespace chipwar::bindings
