#include "bindings.hpp"

namespace chipwar::bindings {

void bind_synth(py::module_& m) { (void)m; }

}  // namespace chipwar::bindings
