// The pybind11 module chipwar._core: one registration function per kernel area, each in its own file.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>

namespace chipwar::bindings {

namespace py = pybind11;

// A 1-d float64 buffer or null (for optional weights); the array must outlive the returned pointer.
inline const double* optional_data(const std::optional<py::array_t<double, py::array::c_style>>& a) {
  return a ? a->data() : nullptr;
}

void bind_stats(py::module_& m);
void bind_fe(py::module_& m);
void bind_vcov(py::module_& m);
void bind_glm(py::module_& m);
void bind_did(py::module_& m);
void bind_synth(py::module_& m);

}  // namespace chipwar::bindings
