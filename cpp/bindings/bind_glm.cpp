#include "bindings.hpp"

namespace chipwar::bindings {

void bind_glm(py::module_& m) { (void)m; }

}  // namespace chipwar::bindings
