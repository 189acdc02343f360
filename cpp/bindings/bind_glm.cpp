#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "chipwar/glm/poisson.hpp"
#include "chipwar/glm/separation.hpp"

namespace chipwar::bindings {
namespace {

using OptionalVec = std::optional<py::array_t<double, py::array::c_style>>;

fe::FixedEffects make_fe_for(const Codes& codes, const std::vector<int32_t>& n_groups, Index n) {
  auto f = make_fe(codes, n_groups);
  if (f.n != n) throw Error("fixed-effect codes and the outcome have different numbers of rows");
  return f;
}

void check_length(const OptionalVec& v, Index n, const char* what) {
  if (v && v->size() != n) throw Error(std::string(what) + " has the wrong length");
}

py::array_t<bool> as_bool_array(const std::vector<uint8_t>& v) {
  py::array_t<bool> out(static_cast<py::ssize_t>(v.size()));
  auto o = out.mutable_unchecked<1>();
  for (size_t i = 0; i < v.size(); ++i) o(i) = v[i] != 0;
  return out;
}

template <class Scalar>
void def_fit_poisson(py::module_& m) {
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  m.def(
      "fit_poisson",
      [](const Eigen::Ref<const Mat>& x, const Eigen::Ref<const Vec>& y, const Codes& codes,
         const std::vector<int32_t>& n_groups, const OptionalVec& weights, const OptionalVec& offset, double tol,
         int max_iter, double fixef_tol, int fixef_max_iter, double collin_tol, double absorbed_tol) {
        const auto f = make_fe_for(codes, n_groups, y.size());
        check_length(weights, y.size(), "weights");
        check_length(offset, y.size(), "offset");
        glm::PoissonOptions opt{tol, max_iter, fixef_tol, fixef_max_iter, collin_tol, absorbed_tol};
        glm::PoissonFit fit;
        {
          py::gil_scoped_release release;
          fit = glm::fit_poisson(x, y, f, optional_data(weights), optional_data(offset), opt);
        }
        py::dict out;
        py::list status;  // one ColumnStatus per column of x (the kernel keeps them as ints)
        for (const int s : fit.status) status.append(static_cast<glm::ColumnStatus>(s));
        out["status"] = status;
        out["coef"] = fit.coef;
        // moved into the arrays, not copied (each is n long)
        out["x_demeaned"] = py::cast(std::move(fit.x_demeaned));
        out["bread"] = fit.bread;
        out["eta"] = py::cast(std::move(fit.eta));
        out["mu"] = py::cast(std::move(fit.mu));
        out["deviance"] = fit.deviance;
        out["loglik"] = fit.loglik;
        out["loglik_null"] = fit.loglik_null;
        out["iterations"] = fit.iterations;
        out["converged"] = fit.converged;
        out["fixef_converged"] = fit.fixef_converged;
        return out;
      },
      py::arg("x"), py::arg("y"), py::arg("codes"), py::arg("n_groups"), py::arg("weights") = py::none(),
      py::arg("offset") = py::none(), py::arg("tol") = 1e-8, py::arg("max_iter") = 25, py::arg("fixef_tol") = 1e-8,
      py::arg("fixef_max_iter") = 10000, py::arg("collin_tol") = 1e-10, py::arg("absorbed_tol") = 1e-10,
      "Poisson PML with fixed effects by IRLS (x and y float64 or float32); returns a dict (status: one ColumnStatus "
      "per column).");
}

}  // namespace

void bind_glm(py::module_& m) {
  // what happened to a regressor column in a GLM fit (the Python side names the reason in its warning)
  py::enum_<glm::ColumnStatus>(m, "ColumnStatus", "What a GLM fit did with a regressor column.")
      .value("kept", glm::ColumnStatus::kept)
      .value("absorbed", glm::ColumnStatus::absorbed, "absorbed by the fixed effects")
      .value("collinear", glm::ColumnStatus::collinear, "collinear with the columns kept before it");

  // float64 first: pybind11 tries the overloads in order without conversions, so float32 inputs reach the
  // float32 kernel without a float64 copy.
  def_fit_poisson<double>(m);
  def_fit_poisson<float>(m);

  m.def(
      "zero_outcome_groups",
      [](const Eigen::Ref<const VectorXd>& y, const Codes& codes, const std::vector<int32_t>& n_groups) {
        const auto f = make_fe_for(codes, n_groups, y.size());
        return as_bool_array(glm::zero_outcome_groups(y, f));
      },
      py::arg("y"), py::arg("codes"), py::arg("n_groups"),
      "Observations in a fixed-effect group whose outcome is zero throughout.");

  m.def(
      "separation_impossible",
      [](const Eigen::Ref<const MatrixXd>& x, const Eigen::Ref<const VectorXd>& y, const Codes& codes,
         const std::vector<int32_t>& n_groups, double fixef_tol, int fixef_max_iter, double collin_tol) {
        const auto f = make_fe_for(codes, n_groups, y.size());
        py::gil_scoped_release release;
        return glm::separation_impossible(x, y, f, glm::SeparationOptions{1e-6, 0, fixef_tol, fixef_max_iter, collin_tol});
      },
      py::arg("x"), py::arg("y"), py::arg("codes"), py::arg("n_groups"), py::arg("fixef_tol") = 1e-8,
      py::arg("fixef_max_iter") = 10000, py::arg("collin_tol") = 1e-10,
      "True when the rows with y > 0 determine the whole fit (full rank there), so no observation can be separated.");

  m.def(
      "separation_screen",
      [](const Eigen::Ref<const MatrixXd>& x, const Eigen::Ref<const VectorXd>& y, const Codes& codes,
         const std::vector<int32_t>& n_groups, bool fast, double fixef_tol, int fixef_max_iter, double collin_tol) {
        const auto f = make_fe_for(codes, n_groups, y.size());
        glm::SeparationOptions opt{1e-6, 0, fixef_tol, fixef_max_iter, collin_tol};
        opt.fast_screen = fast;
        glm::ScreenResult res;
        {
          py::gil_scoped_release release;
          res = glm::separation_screen(x, y, f, opt);
        }
        return py::make_tuple(res.impossible, res.tight_pass);
      },
      py::arg("x"), py::arg("y"), py::arg("codes"), py::arg("n_groups"), py::arg("fast") = true,
      py::arg("fixef_tol") = 1e-8, py::arg("fixef_max_iter") = 10000, py::arg("collin_tol") = 1e-10,
      "separation_impossible with how it was decided: (impossible, tight_pass); fast=False runs only the pass at "
      "fixef_tol.");

  m.def(
      "relu_separation",
      [](const Eigen::Ref<const MatrixXd>& x, const Eigen::Ref<const VectorXd>& y, const Codes& codes,
         const std::vector<int32_t>& n_groups, double tol, int max_iter, double fixef_tol, int fixef_max_iter,
         double collin_tol) {
        const auto f = make_fe_for(codes, n_groups, y.size());
        glm::SeparationResult res;
        {
          py::gil_scoped_release release;
          res = glm::relu_separation(x, y, f, glm::SeparationOptions{tol, max_iter, fixef_tol, fixef_max_iter, collin_tol});
        }
        return py::make_tuple(as_bool_array(res.separated), res.iterations, res.converged);
      },
      py::arg("x"), py::arg("y"), py::arg("codes"), py::arg("n_groups"), py::arg("tol") = 1e-6,
      py::arg("max_iter") = 1000, py::arg("fixef_tol") = 1e-8, py::arg("fixef_max_iter") = 10000,
      py::arg("collin_tol") = 1e-10,
      "Separated observations by the iterated rectifier method: (separated, iterations, converged).");
}

}  // namespace chipwar::bindings
