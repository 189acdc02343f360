#include "bindings.hpp"

namespace chipwar::bindings {

void bind_vcov(py::module_& m) { (void)m; }

}  // namespace chipwar::bindings
