#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/did/group_time.hpp"
#include "chipwar/did/group_time_rc.hpp"
#include "chipwar/did/logit.hpp"
#include "chipwar/did/multiplier_bootstrap.hpp"
#include "chipwar/did/triple.hpp"
#include "chipwar/did/two_period.hpp"

namespace chipwar::bindings {

void bind_did(py::module_& m) {
  m.def(
      "did_group_time",
      [](const Eigen::Ref<const MatrixXd>& y, const Eigen::Ref<const VectorXd>& cohort,
         const Eigen::Ref<const MatrixXd>& covariates, const Eigen::Ref<const VectorXd>& weights, int method,
         const std::vector<int>& period, const std::vector<int>& base_period, const std::vector<double>& cell_cohort,
         const std::vector<double>& control_after) {
        const size_t n_cells = period.size();
        if (base_period.size() != n_cells || cell_cohort.size() != n_cells || control_after.size() != n_cells)
          throw Error("did_group_time: cell arrays of different lengths");
        if (method < 0 || method > 2) throw Error("did_group_time: method must be 0 (dr), 1 (ipw) or 2 (reg)");
        std::vector<did::GroupTimeCell> cells(n_cells);
        for (size_t j = 0; j < n_cells; ++j) cells[j] = {period[j], base_period[j], cell_cohort[j], control_after[j]};
        did::GroupTimeInput in{y, cohort, covariates, weights, static_cast<did::Method>(method)};
        did::GroupTimeResult res;
        {
          py::gil_scoped_release release;
          res = did::group_time_att(in, cells);
        }
        std::vector<bool> converged(res.ps_converged.begin(), res.ps_converged.end());
        return py::make_tuple(std::move(res.att), std::move(res.inf), std::move(res.n_treated),
                              std::move(res.n_control), converged, std::move(res.max_pscore));
      },
      py::arg("y"), py::arg("cohort"), py::arg("covariates"), py::arg("weights"), py::arg("method"), py::arg("period"),
      py::arg("base_period"), py::arg("cell_cohort"), py::arg("control_after"),
      "Group-time ATTs on a balanced panel: (att, inf, n_treated, n_control, ps_converged, max_pscore).");

  m.def(
      "did_group_time_rc",
      [](const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const VectorXi>& period,
         const Eigen::Ref<const VectorXd>& cohort, const Eigen::Ref<const MatrixXd>& covariates,
         const Eigen::Ref<const VectorXd>& weights, int method, const std::vector<int>& cell_period,
         const std::vector<int>& base_period, const std::vector<double>& cell_cohort,
         const std::vector<double>& control_after) {
        const size_t n_cells = cell_period.size();
        if (base_period.size() != n_cells || cell_cohort.size() != n_cells || control_after.size() != n_cells)
          throw Error("did_group_time_rc: cell arrays of different lengths");
        if (method < 0 || method > 2) throw Error("did_group_time_rc: method must be 0 (dr), 1 (ipw) or 2 (reg)");
        std::vector<did::GroupTimeCell> cells(n_cells);
        for (size_t j = 0; j < n_cells; ++j)
          cells[j] = {cell_period[j], base_period[j], cell_cohort[j], control_after[j]};
        did::GroupTimeRcInput in{y, period, cohort, covariates, weights, static_cast<did::Method>(method)};
        did::GroupTimeResult res;
        {
          py::gil_scoped_release release;
          res = did::group_time_att_rc(in, cells);
        }
        std::vector<bool> converged(res.ps_converged.begin(), res.ps_converged.end());
        return py::make_tuple(std::move(res.att), std::move(res.inf), std::move(res.n_treated),
                              std::move(res.n_control), converged, std::move(res.max_pscore));
      },
      py::arg("y"), py::arg("period"), py::arg("cohort"), py::arg("covariates"), py::arg("weights"),
      py::arg("method"), py::arg("cell_period"), py::arg("base_period"), py::arg("cell_cohort"),
      py::arg("control_after"),
      "Group-time ATTs from repeated cross sections, one row per observation: (att, inf, n_treated, n_control, "
      "ps_converged, max_pscore).");

  m.def(
      "did_triple_group_time",
      [](const Eigen::Ref<const MatrixXd>& y, const Eigen::Ref<const VectorXd>& cohort,
         const Eigen::Ref<const VectorXd>& partition, const Eigen::Ref<const MatrixXd>& covariates,
         const Eigen::Ref<const VectorXd>& weights, int method, const std::vector<int>& period,
         const std::vector<int>& base_period, const std::vector<double>& cell_cohort,
         const std::vector<double>& control_after) {
        const size_t n_cells = period.size();
        if (base_period.size() != n_cells || cell_cohort.size() != n_cells || control_after.size() != n_cells)
          throw Error("did_triple_group_time: cell arrays of different lengths");
        if (method < 0 || method > 2) throw Error("did_triple_group_time: method must be 0 (dr), 1 (ipw) or 2 (reg)");
        std::vector<did::GroupTimeCell> cells(n_cells);
        for (size_t j = 0; j < n_cells; ++j) cells[j] = {period[j], base_period[j], cell_cohort[j], control_after[j]};
        did::TripleInput in{y, cohort, partition, covariates, weights, static_cast<did::Method>(method)};
        did::TripleResult res;
        {
          py::gil_scoped_release release;
          res = did::triple_group_time(in, cells);
        }
        std::vector<bool> converged(res.cells.ps_converged.begin(), res.cells.ps_converged.end());
        return py::make_tuple(std::move(res.cells.att), std::move(res.cells.inf), std::move(res.cells.n_treated),
                              std::move(res.cells.n_control), converged, std::move(res.cells.max_pscore),
                              std::move(res.n_comparison_cohorts));
      },
      py::arg("y"), py::arg("cohort"), py::arg("partition"), py::arg("covariates"), py::arg("weights"),
      py::arg("method"), py::arg("period"), py::arg("base_period"), py::arg("cell_cohort"), py::arg("control_after"),
      "Triple-difference group-time ATTs on a balanced panel: (att, inf, n_treated, n_control, ps_converged, "
      "max_pscore, n_comparison_cohorts).");

  m.def(
      "did_two_period",
      [](const Eigen::Ref<const VectorXd>& dy, const Eigen::Ref<const VectorXd>& d, const Eigen::Ref<const MatrixXd>& x,
         const Eigen::Ref<const VectorXd>& w, int method) {
        if (method < 0 || method > 2) throw Error("did_two_period: method must be 0 (dr), 1 (ipw) or 2 (reg)");
        py::gil_scoped_release release;
        const auto fit = did::two_period_did(dy, d, x, w, static_cast<did::Method>(method));
        return std::make_pair(fit.att, fit.inf);
      },
      py::arg("dy"), py::arg("d"), py::arg("x"), py::arg("w"), py::arg("method"),
      "One two-period panel DiD (Sant'Anna & Zhao 2020): (att, influence function).");

  m.def(
      "logit",
      [](const Eigen::Ref<const MatrixXd>& x, const Eigen::Ref<const VectorXd>& d, const Eigen::Ref<const VectorXd>& w) {
        if (x.rows() != d.size() || w.size() != d.size()) throw Error("logit: inputs of different lengths");
        did::LogitFit fit;
        {
          py::gil_scoped_release release;
          fit = did::logit(x, d, w);
        }
        return py::make_tuple(fit.coef, fit.fitted, fit.converged, fit.iterations);
      },
      py::arg("x"), py::arg("d"), py::arg("w"), "Weighted logit by Newton-Raphson: (coef, fitted, converged, iterations).");

  m.def(
      "multiplier_bootstrap",
      [](const Eigen::Ref<const MatrixXd>& inf, int replicates, uint64_t seed, const std::string& kind, int64_t first) {
        if (kind != "mammen" && kind != "rademacher")
          throw Error("multiplier weights must be 'mammen' or 'rademacher', got '" + kind + "'");
        const auto k = kind == "mammen" ? did::Multiplier::Mammen : did::Multiplier::Rademacher;
        py::gil_scoped_release release;
        return did::multiplier_bootstrap(inf, replicates, seed, k, first);
      },
      py::arg("inf"), py::arg("replicates"), py::arg("seed"), py::arg("kind") = "mammen", py::arg("first") = 0,
      "Multiplier bootstrap draws sqrt(n) * mean(v * inf) (replicates x columns), reproducible for any thread count.");
}

}  // namespace chipwar::bindings
