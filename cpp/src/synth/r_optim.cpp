#include "chipwar/synth/r_optim.hpp"

#include <cmath>
#include <limits>

namespace chipwar::synth {

OptimResult optim_nelder_mead(const Objective& f, const VectorXd& x0, int max_fn, double reltol) {
  constexpr double big = 1.0e35;  // what optim substitutes for a non-finite value
  auto eval = [&](const VectorXd& x) {
    const double v = f(x);
    return std::isfinite(v) ? v : big;
  };
  const Index n = x0.size();
  const double f0 = f(x0);
  if (!std::isfinite(f0)) throw Error("Nelder-Mead: the objective is not finite at the start");
  int count = 1;
  const double convtol = reltol * (std::abs(f0) + reltol);
  // Vertices are the columns of p, their values in fv; vertex 0 is the start.
  MatrixXd p = x0.replicate(1, n + 1);
  VectorXd fv(n + 1);
  fv(0) = f0;
  double step = 0.1 * x0.cwiseAbs().maxCoeff();
  if (step == 0.0) step = 0.1;
  double size = 0.0;
  for (Index j = 1; j <= n; ++j) {
    double trystep = step;
    while (p(j - 1, j) == x0(j - 1)) {  // a step lost to rounding is retried ten times larger
      p(j - 1, j) = x0(j - 1) + trystep;
      trystep *= 10;
    }
    size += trystep;
  }
  double oldsize = size;
  Index lo = 0;
  bool evaluate_vertices = true;
  bool shrink_failed = false;
  VectorXd centroid(n), trial(n);
  do {
    if (evaluate_vertices) {
      for (Index j = 0; j <= n; ++j)
        if (j != lo) {
          fv(j) = eval(p.col(j));
          ++count;
        }
      evaluate_vertices = false;
    }
    // Best (lo) and worst (hi) vertex; strict comparisons keep the earlier of tied vertices.
    double vl = fv(lo), vh = vl;
    Index hi = lo;
    for (Index j = 0; j <= n; ++j) {
      if (j == lo) continue;
      if (fv(j) < vl) {
        lo = j;
        vl = fv(j);
      }
      if (fv(j) > vh) {
        hi = j;
        vh = fv(j);
      }
    }
    if (vh <= vl + convtol) break;
    centroid = (p.rowwise().sum() - p.col(hi)) / static_cast<double>(n);
    trial = 2.0 * centroid - p.col(hi);  // reflection
    const double vr = eval(trial);
    ++count;
    if (vr < vl) {
      const VectorXd expanded = 2.0 * trial - centroid;
      const double ve = eval(expanded);
      ++count;
      if (ve < vr) {
        p.col(hi) = expanded;
        fv(hi) = ve;
      } else {
        p.col(hi) = trial;
        fv(hi) = vr;
      }
      continue;
    }
    // Nash's variant: a reflection that is not a new best replaces the worst only if better than it, and a
    // contraction towards the centroid is tried in either case.
    if (vr < vh) {
      p.col(hi) = trial;
      fv(hi) = vr;
    }
    trial = 0.5 * p.col(hi) + 0.5 * centroid;
    const double vc = eval(trial);
    ++count;
    if (vc < fv(hi)) {
      p.col(hi) = trial;
      fv(hi) = vc;
    } else if (vr >= vh) {  // shrink towards the best vertex
      evaluate_vertices = true;
      size = 0.0;
      for (Index j = 0; j <= n; ++j) {
        if (j == lo) continue;
        for (Index i = 0; i < n; ++i) {
          p(i, j) = 0.5 * (p(i, j) - p(i, lo)) + p(i, lo);
          size += std::abs(p(i, j) - p(i, lo));
        }
      }
      if (!(size < oldsize)) {
        shrink_failed = true;
        break;
      }
      oldsize = size;
    }
  } while (count <= max_fn);
  OptimResult out;
  out.x = p.col(lo);
  out.value = fv(lo);
  out.fn_count = count;
  out.converged = !shrink_failed && count <= max_fn;
  return out;
}

namespace {

// optim's gradient without an analytic one: central differences, each coordinate in turn.
void central_gradient(const Objective& f, VectorXd& x, double ndeps, VectorXd& g) {
  for (Index i = 0; i < x.size(); ++i) {
    const double xi = x(i);
    x(i) = xi + ndeps;
    const double up = f(x);
    x(i) = xi - ndeps;
    const double down = f(x);
    x(i) = xi;
    g(i) = (up - down) / (2 * ndeps);
    if (!std::isfinite(g(i))) throw Error("BFGS: non-finite finite-difference gradient");
  }
}

}  // namespace

OptimResult optim_bfgs(const Objective& f, const VectorXd& x0, int max_iter, double reltol, double ndeps) {
  constexpr double stepredn = 0.2, acctol = 1e-4, reltest = 10.0;
  const Index n = x0.size();
  VectorXd b = x0;
  double fmin = f(b);
  if (!std::isfinite(fmin)) throw Error("BFGS: the objective is not finite at the start");
  OptimResult out;
  int funcount = 1, gradcount = 1, iter = 1;
  VectorXd g(n), t(n), xs(n), c(n);
  central_gradient(f, b, ndeps, g);
  int ilast = gradcount;
  MatrixXd bmat(n, n);  // inverse Hessian approximation, kept exactly symmetric
  Index count = 0;
  double fval = fmin;
  do {
    if (ilast == gradcount) bmat.setIdentity();
    xs = b;
    c = g;
    double gradproj = 0.0;
    for (Index i = 0; i < n; ++i) {
      double s = 0.0;
      for (Index j = 0; j < n; ++j) s -= bmat(i, j) * g(j);
      t(i) = s;
      gradproj += s * g(i);
    }
    if (gradproj < 0.0) {  // downhill: backtrack until the Armijo condition holds or the step no longer moves x
      double steplength = 1.0;
      bool accpoint = false;
      do {
        count = 0;
        for (Index i = 0; i < n; ++i) {
          b(i) = xs(i) + steplength * t(i);
          if (reltest + xs(i) == reltest + b(i)) ++count;
        }
        if (count < n) {
          fval = f(b);
          ++funcount;
          accpoint = std::isfinite(fval) && fval <= fmin + gradproj * steplength * acctol;
          if (!accpoint) steplength *= stepredn;
        }
      } while (!(count == n || accpoint));
      const bool enough = std::abs(fval - fmin) > reltol * (std::abs(fmin) + reltol);
      if (!enough) {  // small relative change: stop (optim keeps this last value)
        count = n;
        fmin = fval;
      }
      if (count < n) {
        fmin = fval;
        central_gradient(f, b, ndeps, g);
        ++gradcount;
        ++iter;
        double d1 = 0.0;
        for (Index i = 0; i < n; ++i) {
          t(i) *= steplength;
          c(i) = g(i) - c(i);
          d1 += t(i) * c(i);
        }
        if (d1 > 0) {
          double d2 = 0.0;
          for (Index i = 0; i < n; ++i) {
            double s = 0.0;
            for (Index j = 0; j < n; ++j) s += bmat(i, j) * c(j);
            xs(i) = s;
            d2 += s * c(i);
          }
          d2 = 1.0 + d2 / d1;
          for (Index i = 0; i < n; ++i)
            for (Index j = 0; j <= i; ++j) {
              bmat(i, j) += (d2 * t(i) * t(j) - xs(i) * t(j) - t(i) * xs(j)) / d1;
              bmat(j, i) = bmat(i, j);
            }
        } else {
          ilast = gradcount;  // the update would not stay positive definite: restart
        }
      } else if (ilast < gradcount) {  // no progress: retry once from the identity
        count = 0;
        ilast = gradcount;
      }
    } else {  // uphill direction: reset unless just reset
      count = 0;
      if (ilast == gradcount)
        count = n;
      else
        ilast = gradcount;
    }
    if (iter >= max_iter) break;
    if (gradcount - ilast > 2 * n) ilast = gradcount;  // periodic restart
  } while (count != n || ilast != gradcount);
  out.x = b;
  out.value = fmin;
  out.fn_count = funcount;
  out.gr_count = gradcount;
  out.converged = iter < max_iter;
  return out;
}

}  // namespace chipwar::synth
