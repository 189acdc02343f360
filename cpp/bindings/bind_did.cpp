#include "bindings.hpp"

namespace chipwar::bindings {

void bind_did(py::module_& m) { (void)m; }

}  // namespace chipwar::bindings
