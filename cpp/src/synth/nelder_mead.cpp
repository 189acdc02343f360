#include "chipwar/synth/nelder_mead.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace chipwar::synth {

NelderMeadResult nelder_mead(const std::function<double(const VectorXd&)>& f, const VectorXd& x0,
                             const NelderMeadOptions& options) {
  const Index n = x0.size();
  std::vector<VectorXd> sim(n + 1, x0);
  for (Index i = 0; i < n; ++i) sim[i + 1](i) = x0(i) != 0 ? (1 + options.nonzero_step) * x0(i) : options.zero_step;
  std::vector<double> fs(n + 1);
  for (Index i = 0; i <= n; ++i) fs[i] = f(sim[i]);
  // Keep vertices ordered by value; a stable sort so that ties keep their order (deterministic).
  auto order = [&] {
    std::vector<Index> idx(n + 1);
    std::iota(idx.begin(), idx.end(), Index{0});
    std::stable_sort(idx.begin(), idx.end(), [&](Index a, Index b) { return fs[a] < fs[b]; });
    std::vector<VectorXd> s2(n + 1);
    std::vector<double> f2(n + 1);
    for (Index i = 0; i <= n; ++i) {
      s2[i] = sim[idx[i]];
      f2[i] = fs[idx[i]];
    }
    sim.swap(s2);
    fs.swap(f2);
  };
  order();
  NelderMeadResult out;
  for (; out.iterations < options.max_iter; ++out.iterations) {
    double xspread = 0.0, fspread = 0.0;
    for (Index i = 1; i <= n; ++i) {
      xspread = std::max(xspread, (sim[i] - sim[0]).cwiseAbs().maxCoeff());
      fspread = std::max(fspread, std::abs(fs[i] - fs[0]));
    }
    if (xspread <= options.xatol && fspread <= options.fatol) {
      out.converged = true;
      break;
    }
    VectorXd centroid = VectorXd::Zero(n);
    for (Index i = 0; i < n; ++i) centroid += sim[i];
    centroid /= static_cast<double>(n);
    const VectorXd& worst = sim[n];
    const VectorXd xr = 2.0 * centroid - worst;
    const double fr = f(xr);
    bool shrink = false;
    if (fr < fs[0]) {
      const VectorXd xe = 3.0 * centroid - 2.0 * worst;
      const double fe = f(xe);
      if (fe < fr) {
        sim[n] = xe;
        fs[n] = fe;
      } else {
        sim[n] = xr;
        fs[n] = fr;
      }
    } else if (fr < fs[n - 1]) {
      sim[n] = xr;
      fs[n] = fr;
    } else if (fr < fs[n]) {  // outside contraction
      const VectorXd xc = 1.5 * centroid - 0.5 * worst;
      const double fc = f(xc);
      if (fc <= fr) {
        sim[n] = xc;
        fs[n] = fc;
      } else {
        shrink = true;
      }
    } else {  // inside contraction
      const VectorXd xcc = 0.5 * centroid + 0.5 * worst;
      const double fcc = f(xcc);
      if (fcc < fs[n]) {
        sim[n] = xcc;
        fs[n] = fcc;
      } else {
        shrink = true;
      }
    }
    if (shrink) {
      for (Index i = 1; i <= n; ++i) {
        sim[i] = sim[0] + 0.5 * (sim[i] - sim[0]);
        fs[i] = f(sim[i]);
      }
    }
    order();
  }
  out.x = sim[0];
  out.f = fs[0];
  return out;
}

}  // namespace chipwar::synth
