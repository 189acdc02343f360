// The pybind11 module chipwar._core: one registration function per kernel area, each in its own file.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <vector>

#include "chipwar/fe/fixed_effects.hpp"

namespace chipwar::bindings {

namespace py = pybind11;

// A 1-d float64 buffer or null (for optional weights); the array must outlive the returned pointer.
inline const double* optional_data(const std::optional<py::array_t<double, py::array::c_style>>& a) {
  return a ? a->data() : nullptr;
}

using Codes = py::array_t<int32_t, py::array::f_style | py::array::forcecast>;

// Fixed-effect codes arrive as an (n x Q) Fortran-ordered int32 array; n_groups has Q entries. The view is
// validated (every code within 0..G-1); codes must outlive it.
inline fe::FixedEffects make_fe(const Codes& codes, const std::vector<int32_t>& n_groups) {
  if (codes.ndim() != 2) throw Error("fixed-effect codes must be a 2-d (n x Q) array");
  fe::FixedEffects f;
  f.codes = codes.data();
  f.n = codes.shape(0);
  f.n_fe = static_cast<int>(codes.shape(1));
  f.n_groups = n_groups;
  f.validate();
  return f;
}

void bind_stats(py::module_& m);
void bind_fe(py::module_& m);
void bind_vcov(py::module_& m);
void bind_glm(py::module_& m);
void bind_did(py::module_& m);
void bind_synth(py::module_& m);
void bind_scpi(py::module_& m);

}  // namespace chipwar::bindings
