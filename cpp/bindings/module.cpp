#include <ceres/version.h>

#include "bindings.hpp"
#include "chipwar/common.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "chipwar's compiled kernels (private; use the chipwar package)";

  // chipwar::Error from any kernel arrives in Python as chipwar.ChipwarError (a ValueError).
  // Held for the life of the process (never released: the module is never unloaded).
  static py::handle chipwar_error = py::object(py::module_::import("chipwar._errors").attr("ChipwarError")).release();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const chipwar::Error& e) {
      PyErr_SetString(chipwar_error.ptr(), e.what());
    }
  });

  m.def("num_threads", &chipwar::num_threads, "Threads used by long kernels.");
  m.def("set_num_threads", &chipwar::set_num_threads, py::arg("n"), "Set the threads used by long kernels.");
  m.attr("ceres_version") = CERES_VERSION_STRING;
  m.attr("eigen_version") = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                            std::to_string(EIGEN_MINOR_VERSION);

  chipwar::bindings::bind_stats(m);
  chipwar::bindings::bind_fe(m);
  chipwar::bindings::bind_vcov(m);
  chipwar::bindings::bind_glm(m);
  chipwar::bindings::bind_did(m);
  chipwar::bindings::bind_synth(m);
  chipwar::bindings::bind_scpi(m);
}
