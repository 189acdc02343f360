#include "chipwar/synth/scpi_qp.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <vector>

namespace chipwar::synth {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A convex QP min 1/2 y'Hy + f'y with lower bounds (-inf allowed) and at most one general constraint a'y (= or <=) b
// whose coefficients are >= 0. Every scpi set maps to one: the lasso by splitting w = w+ - w-.
struct PolyQp {
  MatrixXd h;
  VectorXd f, lo, a;
  bool general = false, equality = true;
  double b = 0.0;
};

struct ActiveSet {
  std::vector<uint8_t> at_lower;  // 1: fixed at its lower bound
  bool general_active = false;
};

// Multiplier of the general constraint at a face minimiser: least squares over the free variables, else the
// smallest value that satisfies every fixed variable (a_i >= 0; at least 0 for an inequality).
double general_multiplier(const PolyQp& qp, const VectorXd& g, const ActiveSet& ws) {
  double ag = 0.0, aa = 0.0;
  for (Index i = 0; i < g.size(); ++i)
    if (!ws.at_lower[i]) {
      ag += qp.a(i) * g(i);
      aa += qp.a(i) * qp.a(i);
    }
  if (aa > 0) return -ag / aa;
  double lambda = qp.equality ? -kInf : 0.0;
  for (Index i = 0; i < g.size(); ++i)
    if (ws.at_lower[i] && qp.a(i) > 0) lambda = std::max(lambda, -g(i) / qp.a(i));
  return std::isfinite(lambda) ? lambda : 0.0;
}

// Primal active-set method (Nocedal & Wright, Algorithm 16.3) from the feasible y; ws is the warm working set.
bool solve_poly(const PolyQp& qp, VectorXd& y, ActiveSet& ws, int& iterations) {
  const Index n = y.size();
  if (qp.general && qp.equality) ws.general_active = true;
  const int max_iter = static_cast<int>(50 * n + 200);
  bool at_minimum = false;
  for (int it = 0; it < max_iter; ++it, ++iterations) {
    std::vector<Index> free_set;
    for (Index i = 0; i < n; ++i)
      if (!ws.at_lower[i]) free_set.push_back(i);
    const Index k = static_cast<Index>(free_set.size());
    if (!at_minimum) {
      // Step to the minimiser on the current face: H_FF p = -(g_F + lambda a_F), a_F'p = 0 if the constraint is in.
      VectorXd p = VectorXd::Zero(k);
      if (k > 0) {
        const VectorXd g = qp.h * y + qp.f;
        MatrixXd hff(k, k);
        VectorXd gf(k), af(k);
        for (Index r = 0; r < k; ++r) {
          gf(r) = g(free_set[r]);
          af(r) = qp.general ? qp.a(free_set[r]) : 0.0;
          for (Index c = 0; c < k; ++c) hff(r, c) = qp.h(free_set[r], free_set[c]);
        }
        const Eigen::LDLT<MatrixXd> ldlt(hff);
        const VectorXd u = ldlt.solve(gf);
        p = -u;
        if (ws.general_active) {
          const VectorXd v = ldlt.solve(af);
          const double av = af.dot(v);
          if (av > 0) p = -(u - af.dot(u) / av * v);
        }
      }
      double alpha = 1.0;
      Index blocking = -1;  // a variable, or n for the general inequality
      for (Index r = 0; r < k; ++r) {
        const Index i = free_set[r];
        if (p(r) < 0 && std::isfinite(qp.lo(i))) {
          const double step = (qp.lo(i) - y(i)) / p(r);
          if (step < alpha) {
            alpha = std::max(step, 0.0);
            blocking = i;
          }
        }
      }
      if (qp.general && !ws.general_active) {
        double ap = 0.0, ay = qp.a.dot(y);
        for (Index r = 0; r < k; ++r) ap += qp.a(free_set[r]) * p(r);
        if (ap > 0) {
          const double step = std::max((qp.b - ay) / ap, 0.0);
          if (step < alpha) {
            alpha = step;
            blocking = n;
          }
        }
      }
      for (Index r = 0; r < k; ++r) y(free_set[r]) += alpha * p(r);
      if (blocking >= 0 && blocking < n) {
        y(blocking) = qp.lo(blocking);
        ws.at_lower[blocking] = 1;
      } else if (blocking == n) {
        ws.general_active = true;
      }
      for (Index i = 0; i < n; ++i)  // entries pushed past their bound by rounding join the blocking one
        if (!ws.at_lower[i] && y(i) < qp.lo(i)) {
          y(i) = qp.lo(i);
          ws.at_lower[i] = 1;
        }
      if (ws.general_active && qp.equality) {
        // An equality needs a free coordinate: huge steps can clamp all of them at once through rounding; the one
        // farthest above its bound is then freed again.
        Index keep_free = -1;
        bool any_free = false;
        for (Index i = 0; i < n; ++i) {
          if (qp.a(i) <= 0) continue;
          if (!ws.at_lower[i]) any_free = true;
          if (keep_free < 0 || y(i) - qp.lo(i) > y(keep_free) - qp.lo(keep_free)) keep_free = i;
        }
        if (!any_free && keep_free >= 0) ws.at_lower[keep_free] = 0;
        // keep a'y = b exactly against rounding drift, along the free coordinates
        double aa = 0.0;
        for (Index i = 0; i < n; ++i)
          if (!ws.at_lower[i]) aa += qp.a(i) * qp.a(i);
        if (aa > 0) {
          const double gap = (qp.b - qp.a.dot(y)) / aa;
          for (Index i = 0; i < n; ++i)
            if (!ws.at_lower[i]) y(i) += gap * qp.a(i);
        }
      }
      if (blocking >= 0) continue;
      at_minimum = true;
    }
    // At the minimiser of the current face: release the constraint whose multiplier has the wrong sign.
    const VectorXd g = qp.h * y + qp.f;
    const double lambda = ws.general_active ? general_multiplier(qp, g, ws) : 0.0;
    const double scale = g.cwiseAbs().maxCoeff() + std::abs(lambda) + qp.h.diagonal().cwiseAbs().maxCoeff() * 1e-3;
    double worst = 1e-13 * (scale > 0 ? scale : 1.0);
    Index release = -1;
    for (Index i = 0; i < n; ++i) {
      if (!ws.at_lower[i]) continue;
      const double violation = -(g(i) + lambda * (qp.general ? qp.a(i) : 0.0));
      if (violation > worst) {
        worst = violation;
        release = i;
      }
    }
    if (ws.general_active && !qp.equality && -lambda > worst) release = n;
    if (release < 0) return true;
    if (release == n) {
      ws.general_active = false;
    } else {
      ws.at_lower[release] = 0;
    }
    at_minimum = false;
  }
  return false;
}

// Brent's method for a root of fn on [a, b] with fn(a) <= 0 <= fn(b) (or the reverse); stops when |fn| <= ftol.
template <class Fn>
double brent_root(Fn&& fn, double a, double b, double fa, double fb, double ftol, int max_iter = 200) {
  if (std::abs(fa) < std::abs(fb)) {
    std::swap(a, b);
    std::swap(fa, fb);
  }
  double c = a, fc = fa, d = b - a, e = d;
  for (int it = 0; it < max_iter; ++it) {
    if (std::abs(fb) <= ftol) return b;
    if ((fb > 0) == (fc > 0)) {
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (std::abs(fc) < std::abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const double tol = 4e-16 * std::abs(b) + 1e-300;
    const double m = 0.5 * (c - b);
    if (std::abs(m) <= tol) return b;
    if (std::abs(e) >= tol && std::abs(fa) > std::abs(fb)) {
      double p, q;
      const double s = fb / fa;
      if (a == c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const double qa = fa / fc, r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = std::abs(p);
      if (2 * p < std::min(3 * m * q - std::abs(tol * q), std::abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += std::abs(d) > tol ? d : (m > 0 ? tol : -tol);
    fb = fn(b);
  }
  return b;
}

// One scpi constraint set, solved repeatedly for different H and f with warm starts (the set stays the same).
class SetSolver {
 public:
  SetSolver(const WeightSet& set, Index n) : set_(set), n_(n), j_(set.n_weights) {
    if (j_ < 1 || j_ > n) throw Error("scpi: the number of weights must be between 1 and the number of variables");
    lower_ = set.lower.size() == j_ ? set.lower : VectorXd::Zero(j_);
    const bool sum_set = set.kind == WeightConstraint::simplex || set.kind == WeightConstraint::l1_l2;
    if (lower_.array().isNaN().any() || (lower_.array() == kInf).any())
      throw Error("scpi: lower bounds of the weights must be finite or -inf");
    if (sum_set) {
      double finite_sum = 0.0;
      Index unbounded = -1;
      for (Index i = 0; i < j_; ++i) {
        if (std::isfinite(lower_(i))) finite_sum += lower_(i);
        else if (unbounded < 0) unbounded = i;
      }
      if (unbounded < 0 && finite_sum > set.q * (1 + 1e-12) + 1e-300)
        throw Error("scpi: the lower bounds of the weights sum to more than Q; no weights satisfy the constraint");
    }
    if (set.kind == WeightConstraint::lasso || set.kind == WeightConstraint::ridge) {
      if (!(set.q >= 0)) throw Error("scpi: Q must be nonnegative");
    }
    reset();
  }

  // x = argmin over the set; nu is the multiplier of the L2 ball when there is one.
  QpSolution solve(const CRefMat& h, const CRefVec& f) {
    QpSolution out;
    const double radius = set_.kind == WeightConstraint::ridge ? set_.q
                          : set_.kind == WeightConstraint::l1_l2 ? set_.q2
                                                                  : kInf;
    VectorXd x = solve_nu(h, f, 0.0, out);
    if (!std::isfinite(radius) || x.head(j_).norm() <= radius * (1 + 1e-13)) {
      out.x = x;
      return out;
    }
    // psi(nu) = 1/||w(nu)|| - 1/radius increases with nu (nearly linearly for a ridge), zero at the multiplier.
    auto psi = [&](double nu) {
      x = solve_nu(h, f, nu, out);
      return 1.0 / std::max(x.head(j_).norm(), 1e-300) - 1.0 / radius;
    };
    const double unit = std::max(h.diagonal().head(j_).cwiseAbs().mean(), 1e-300);
    double lo = 0.0, flo = 1.0 / x.head(j_).norm() - 1.0 / radius;
    double hi = 1e-6 * unit, fhi = psi(hi);
    while (fhi < 0) {
      lo = hi;
      flo = fhi;
      hi *= 8;
      if (hi > 1e30 * unit) throw Error("scpi: no weights satisfy the L2 constraint (Q2 is below the smallest norm "
                                        "the other constraints allow)");
      fhi = psi(hi);
    }
    const double nu = brent_root(psi, lo, hi, flo, fhi, 1e-13 / radius);
    out.x = solve_nu(h, f, nu, out);
    out.l2_multiplier = nu;
    return out;
  }

  bool bounded() const {  // is the feasible set bounded (no free coordinates and a bounded weight set)?
    return n_ == j_ && set_.kind != WeightConstraint::none;
  }

 private:
  void reset() {
    const Index m = set_.kind == WeightConstraint::lasso ? n_ + j_ : n_;
    y_ = VectorXd::Zero(m);
    ws_.at_lower.assign(m, 0);
    ws_.general_active = false;
    if (set_.kind == WeightConstraint::simplex || set_.kind == WeightConstraint::l1_l2) {
      Index unbounded = -1;
      double finite_sum = 0.0;
      Index finite_count = 0;
      for (Index i = 0; i < j_; ++i)
        if (std::isfinite(lower_(i))) {
          finite_sum += lower_(i);
          ++finite_count;
        } else if (unbounded < 0) {
          unbounded = i;
        }
      for (Index i = 0; i < j_; ++i) y_(i) = std::isfinite(lower_(i)) ? lower_(i) : 0.0;
      const double slack = set_.q - finite_sum;
      if (unbounded >= 0) {
        y_(unbounded) = slack;
      } else {
        for (Index i = 0; i < j_; ++i) y_(i) += slack / static_cast<double>(finite_count);
        if (slack <= 0)
          for (Index i = 0; i < j_; ++i) ws_.at_lower[i] = 1;
      }
    } else if (set_.kind == WeightConstraint::lasso) {
      for (Index i = 0; i < 2 * j_; ++i) ws_.at_lower[i] = 1;  // w+ = w- = 0
    }
  }

  PolyQp build(const CRefMat& h, const CRefVec& f, double nu) const {
    PolyQp qp;
    const Index k = n_ - j_;
    MatrixXd hh = h;
    hh.diagonal().head(j_).array() += nu;
    if (set_.kind == WeightConstraint::lasso) {
      const Index m = n_ + j_;
      qp.h.resize(m, m);
      qp.h.topLeftCorner(j_, j_) = hh.topLeftCorner(j_, j_);
      qp.h.block(0, j_, j_, j_) = -hh.topLeftCorner(j_, j_);
      qp.h.block(j_, 0, j_, j_) = -hh.topLeftCorner(j_, j_);
      qp.h.block(j_, j_, j_, j_) = hh.topLeftCorner(j_, j_);
      qp.h.block(0, 2 * j_, j_, k) = hh.topRightCorner(j_, k);
      qp.h.block(j_, 2 * j_, j_, k) = -hh.topRightCorner(j_, k);
      qp.h.block(2 * j_, 0, k, j_) = hh.bottomLeftCorner(k, j_);
      qp.h.block(2 * j_, j_, k, j_) = -hh.bottomLeftCorner(k, j_);
      qp.h.bottomRightCorner(k, k) = hh.bottomRightCorner(k, k);
      qp.f.resize(m);
      qp.f << f.head(j_), -f.head(j_), f.tail(k);
      qp.lo = VectorXd::Constant(m, -kInf);
      qp.lo.head(2 * j_).setZero();
      qp.general = true;
      qp.equality = false;
      qp.a = VectorXd::Zero(m);
      qp.a.head(2 * j_).setOnes();
      qp.b = set_.q;
    } else {
      qp.h = hh;
      qp.f = f;
      qp.lo = VectorXd::Constant(n_, -kInf);
      if (set_.kind == WeightConstraint::simplex || set_.kind == WeightConstraint::l1_l2) {
        qp.lo.head(j_) = lower_;
        qp.general = true;
        qp.equality = true;
        qp.a = VectorXd::Zero(n_);
        qp.a.head(j_).setOnes();
        qp.b = set_.q;
      }
    }
    // the ridge that makes degenerate problems strictly convex (duplicate donors share weight equally)
    const double mean_diag = qp.h.diagonal().cwiseAbs().mean();
    qp.h.diagonal().array() += 1e-13 * (mean_diag > 0 ? mean_diag : 1.0);
    return qp;
  }

  VectorXd solve_nu(const CRefMat& h, const CRefVec& f, double nu, QpSolution& out) {
    const PolyQp qp = build(h, f, nu);
    int iterations = 0;
    if (!solve_poly(qp, y_, ws_, iterations)) out.converged = false;
    out.iterations += iterations;
    if (set_.kind != WeightConstraint::lasso) return y_;
    VectorXd x(n_);
    x.head(j_) = y_.head(j_) - y_.segment(j_, j_);
    x.tail(n_ - j_) = y_.tail(n_ - j_);
    return x;
  }

  WeightSet set_;
  Index n_, j_;
  VectorXd lower_, y_;
  ActiveSet ws_;
};

void check_problem(const CRefMat& h, const CRefVec& f, const WeightSet& set) {
  if (h.rows() != h.cols() || h.rows() != f.size()) throw Error("scpi_qp: H must be square and match f");
  if (!h.allFinite() || !f.allFinite()) throw Error("scpi_qp: H or f contains NaN or infinite values");
  if (set.lower.size() != 0 && set.lower.size() != set.n_weights)
    throw Error("scpi_qp: lower must have one entry per weight");
}

}  // namespace

QpSolution scpi_qp(const CRefMat& h, const CRefVec& f, const WeightSet& set) {
  check_problem(h, f, set);
  SetSolver solver(set, h.rows());
  return solver.solve(h, f);
}

double scpi_qp_kkt_violation(const CRefMat& h, const CRefVec& f, const WeightSet& set, const CRefVec& x, double nu) {
  const Index n = x.size(), j = set.n_weights, k = n - j;
  VectorXd r = h * x + f;
  r.head(j) += nu * x.head(j);
  const double scale = (h * x).cwiseAbs().maxCoeff() + f.cwiseAbs().maxCoeff() + 1e-300;
  double worst = k > 0 ? r.tail(k).cwiseAbs().maxCoeff() : 0.0;
  const VectorXd w = x.head(j), rw = r.head(j);
  const VectorXd lower = set.lower.size() == j ? set.lower : VectorXd::Zero(j);
  const double tiny = 1e-12 * (1 + w.cwiseAbs().maxCoeff());
  switch (set.kind) {
    case WeightConstraint::none:
    case WeightConstraint::ridge:
      worst = std::max(worst, rw.cwiseAbs().maxCoeff());
      break;
    case WeightConstraint::simplex:
    case WeightConstraint::l1_l2: {
      double lambda = 0.0;
      Index free_count = 0;
      for (Index i = 0; i < j; ++i)
        if (w(i) > lower(i) + tiny) {
          lambda -= rw(i);
          ++free_count;
        }
      if (free_count > 0) lambda /= static_cast<double>(free_count);
      for (Index i = 0; i < j; ++i) {
        const double v = w(i) > lower(i) + tiny ? std::abs(rw(i) + lambda) : std::max(0.0, -(rw(i) + lambda));
        worst = std::max(worst, v);
      }
      worst = std::max(worst, scale * (std::abs(w.sum() - set.q) + std::max(0.0, (lower - w).maxCoeff())));
      break;
    }
    case WeightConstraint::lasso: {
      const double l1 = w.cwiseAbs().sum();
      double lambda = 0.0;
      Index nonzero = 0;
      for (Index i = 0; i < j; ++i)
        if (std::abs(w(i)) > tiny) {
          lambda -= rw(i) * (w(i) > 0 ? 1.0 : -1.0);
          ++nonzero;
        }
      lambda = nonzero > 0 ? lambda / static_cast<double>(nonzero) : rw.cwiseAbs().maxCoeff();
      if (l1 < set.q * (1 - 1e-10)) lambda = 0.0;
      worst = std::max(worst, std::max(0.0, -lambda));
      for (Index i = 0; i < j; ++i) {
        const double v = std::abs(w(i)) > tiny ? std::abs(rw(i) + lambda * (w(i) > 0 ? 1.0 : -1.0))
                                               : std::max(0.0, std::abs(rw(i)) - lambda);
        worst = std::max(worst, v);
      }
      worst = std::max(worst, scale * std::max(0.0, l1 - set.q));
      break;
    }
  }
  if (set.kind == WeightConstraint::ridge || set.kind == WeightConstraint::l1_l2) {
    const double radius = set.kind == WeightConstraint::ridge ? set.q : set.q2;
    const double excess = w.norm() - radius;
    worst = std::max(worst, scale * std::max(0.0, excess / std::max(radius, 1e-300)));
    if (nu > 0) worst = std::max(worst, scale * std::abs(excess) / std::max(radius, 1e-300));
    worst = std::max(worst, std::max(0.0, -nu));
  }
  return worst / scale;
}

InSampleBounds scpi_insample_bounds(const CRefMat& q, const CRefVec& beta, const CRefMat& draws, const CRefMat& p_rows,
                                    const WeightSet& set) {
  const Index n = beta.size();
  if (q.rows() != n || q.cols() != n) throw Error("scpi_insample_bounds: Q must be n x n with n = size of beta");
  if (draws.rows() != n) throw Error("scpi_insample_bounds: draws must have one row per coefficient");
  if (p_rows.cols() != n) throw Error("scpi_insample_bounds: P must have one column per coefficient");
  if (!q.allFinite() || !beta.allFinite() || !draws.allFinite() || !p_rows.allFinite())
    throw Error("scpi_insample_bounds: inputs contain NaN or infinite values");
  check_problem(q, beta, set);
  const Index n_draws = draws.cols(), horizons = p_rows.rows();
  InSampleBounds out;
  out.lower = MatrixXd::Constant(n_draws, horizons, kNaN);
  out.upper = MatrixXd::Constant(n_draws, horizons, kNaN);
  const MatrixXd h = 2.0 * q;
  std::vector<int> failures(static_cast<size_t>(n_draws), 0);
#pragma omp parallel for schedule(dynamic) num_threads(chipwar::num_threads())
  for (Index d = 0; d < n_draws; ++d) {
    SetSolver solver(set, n);
    const VectorXd g = draws.col(d);
    const VectorXd base = -2.0 * (q * beta) - 2.0 * g;
    // constraint value of x: (x - beta)'Q(x - beta) - 2 g'(x - beta)
    auto constraint = [&](const VectorXd& x) {
      const VectorXd delta = x - beta;
      return delta.dot(q * delta) - 2.0 * g.dot(delta);
    };
    // the rounding error of that value (x - beta is formed from two numbers of the size of beta): values within it
    // count as 0, so that a set touching the ellipsoid only at beta is not searched through noise
    const double q_norm = q.cwiseAbs().maxCoeff() * static_cast<double>(n);
    auto noise = [&](const VectorXd& x) {
      const double size = x.norm() + beta.norm();
      return 256.0 * std::numeric_limits<double>::epsilon() * (g.norm() * size + q_norm * size * size * 1e-3);
    };
    for (Index t = 0; t < horizons; ++t) {
      const VectorXd pt = p_rows.row(t).transpose();
      for (int side = 0; side < 2; ++side) {
        const VectorXd c = side == 0 ? VectorXd(-pt) : pt;  // lower bound: maximise p'x; upper: minimise it
        VectorXd x;
        bool ok = true;
        auto phi = [&](double s) {
          const QpSolution sol = solver.solve(h, base + s * c);
          ok = ok && sol.converged;
          x = sol.x;
          return constraint(x);
        };
        const double s0 = (base.cwiseAbs().maxCoeff() + 1.0) / std::max(c.cwiseAbs().maxCoeff(), 1e-300);
        // s = 0: x minimises the constraint over the set; beta is feasible, so that minimum is <= 0
        const double phi0 = phi(0.0);
        const VectorXd x0 = x;
        const VectorXd d0 = x0 - beta;
        const double size0 = std::abs(d0.dot(q * d0)) + 2.0 * std::abs(g.dot(d0)) + 1e-300;
        const double tiny = noise(x0);
        double value = kNaN;
        if (phi0 >= -tiny) {
          // the ellipsoid meets the set only at that minimiser (up to rounding): a single feasible point
          if (phi0 <= 1e-9 * size0 + tiny) value = pt.dot(beta - x0);
        } else {
          double lo = 0.0, flo = phi0, hi = s0, fhi = phi(hi);
          VectorXd x_feasible = x0;
          bool binding = true, settled = false;
          while (fhi <= tiny) {
            // x(s) is piecewise linear in s: once it stops moving it sits at the linear optimum over the set, which
            // then lies inside the ellipsoid (larger s would only lose precision to the huge linear term)
            settled = (x - x_feasible).norm() <= 1e-13 * (x.norm() + 1.0);
            lo = hi;
            flo = fhi;
            x_feasible = x;
            hi *= 8;
            if (settled || hi > 1e12 * s0) {
              binding = false;
              break;
            }
            fhi = phi(hi);
          }
          if (!binding) {
            // the linear optimum lies inside the ellipsoid (without settling: only a bounded set has one)
            if (settled || solver.bounded()) value = pt.dot(beta - x_feasible);
          } else {
            // relative to the constraint's own scale at s = 0 (not to fhi, which the bracketing can make huge)
            // x at the root (Brent may end on another point); |phi| to 1e-12 of its value at s = 0, or the noise
            phi(brent_root(phi, lo, hi, flo, fhi, std::max(1e-12 * std::abs(phi0), tiny)));
            value = pt.dot(beta - x);
          }
        }
        if (!ok || !std::isfinite(value)) {
          ++failures[static_cast<size_t>(d)];
          value = kNaN;
        }
        (side == 0 ? out.lower : out.upper)(d, t) = value;
      }
    }
  }
  for (int f : failures) out.failures += f;
  return out;
}

}  // namespace chipwar::synth
