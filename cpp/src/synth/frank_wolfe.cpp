#include "chipwar/synth/frank_wolfe.hpp"

#include <algorithm>
#include <limits>

namespace chipwar::synth {
namespace {

// Index of the smallest entry, the first of ties (R's which.min, which synthdid's vertex choice uses).
Index first_argmin(const VectorXd& v) {
  Index best = 0;
  for (Index j = 1; j < v.size(); ++j)
    if (v(j) < v(best)) best = j;
  return best;
}

// synthdid's defaults run up to 10000 iterations on vectors of a few dozen entries, where one Eigen expression per
// quantity costs more in loads, stores and loop overhead than the arithmetic. The passes below fuse them, written
// with Eigen's SIMD packets (SSE2 in portable builds, NEON on ARM) and two accumulators per sum (their order is
// fixed, so results do not depend on threads).
namespace pk = Eigen::internal;
using Packet = pk::packet_traits<double>::type;
constexpr Index kLanes = sizeof(Packet) / sizeof(double);

// d = ab_i - r (stored), the change of the residual A x - b along e_i - x; returns ||d||^2.
double direction_pass(const double* ab_i, const double* r, double* d, Index rows) {
  Packet acc0 = pk::pset1<Packet>(0.0), acc1 = acc0;
  Index j = 0;
  for (; j + 2 * kLanes <= rows; j += 2 * kLanes) {
    const Packet v0 = pk::psub(pk::ploadu<Packet>(ab_i + j), pk::ploadu<Packet>(r + j));
    const Packet v1 = pk::psub(pk::ploadu<Packet>(ab_i + j + kLanes), pk::ploadu<Packet>(r + j + kLanes));
    pk::pstoreu(d + j, v0);
    pk::pstoreu(d + j + kLanes, v1);
    acc0 = pk::padd(acc0, pk::pmul(v0, v0));
    acc1 = pk::padd(acc1, pk::pmul(v1, v1));
  }
  double sum = pk::predux(pk::padd(acc0, acc1));
  for (; j < rows; ++j) {
    d[j] = ab_i[j] - r[j];
    sum += d[j] * d[j];
  }
  return sum;
}

// r <- r + s d; returns ||r||^2.
double residual_pass(double s, const double* d, double* r, Index rows) {
  const Packet sv = pk::pset1<Packet>(s);
  Packet acc0 = pk::pset1<Packet>(0.0), acc1 = acc0;
  Index j = 0;
  for (; j + 2 * kLanes <= rows; j += 2 * kLanes) {
    const Packet v0 = pk::padd(pk::ploadu<Packet>(r + j), pk::pmul(sv, pk::ploadu<Packet>(d + j)));
    const Packet v1 = pk::padd(pk::ploadu<Packet>(r + j + kLanes), pk::pmul(sv, pk::ploadu<Packet>(d + j + kLanes)));
    pk::pstoreu(r + j, v0);
    pk::pstoreu(r + j + kLanes, v1);
    acc0 = pk::padd(acc0, pk::pmul(v0, v0));
    acc1 = pk::padd(acc1, pk::pmul(v1, v1));
  }
  double sum = pk::predux(pk::padd(acc0, acc1));
  for (; j < rows; ++j) {
    r[j] += s * d[j];
    sum += r[j] * r[j];
  }
  return sum;
}

struct CandidatePass {
  double gs_xs = 0.0;  // gs'xs
  Index vertex = 0;    // first argmin of gs: the next vertex
};

// gs <- gs + alpha h_i in one pass that also sums gs'xs and finds the minimum of gs; its first index (which.min's
// first on ties) follows. The argmin of half_grad = sg gs is that of gs, as sg > 0.
CandidatePass candidate_pass(double alpha, const double* h_i, const double* xs, double* gs, Index k) {
  const Packet av = pk::pset1<Packet>(alpha);
  Packet gx0 = pk::pset1<Packet>(0.0), gx1 = gx0;
  Packet min0 = pk::pset1<Packet>(std::numeric_limits<double>::infinity()), min1 = min0;
  Index j = 0;
  for (; j + 2 * kLanes <= k; j += 2 * kLanes) {
    const Packet g0 = pk::padd(pk::ploadu<Packet>(gs + j), pk::pmul(av, pk::ploadu<Packet>(h_i + j)));
    const Packet g1 = pk::padd(pk::ploadu<Packet>(gs + j + kLanes), pk::pmul(av, pk::ploadu<Packet>(h_i + j + kLanes)));
    pk::pstoreu(gs + j, g0);
    pk::pstoreu(gs + j + kLanes, g1);
    gx0 = pk::padd(gx0, pk::pmul(g0, pk::ploadu<Packet>(xs + j)));
    gx1 = pk::padd(gx1, pk::pmul(g1, pk::ploadu<Packet>(xs + j + kLanes)));
    // pmin(a, b) keeps a when b is NaN: NaN entries never become the minimum (which.min drops them).
    min0 = pk::pmin(min0, g0);
    min1 = pk::pmin(min1, g1);
  }
  CandidatePass out;
  out.gs_xs = pk::predux(pk::padd(gx0, gx1));
  double min_v = pk::predux_min(pk::pmin(min0, min1));
  for (; j < k; ++j) {
    gs[j] += alpha * h_i[j];
    out.gs_xs += gs[j] * xs[j];
    if (gs[j] < min_v) min_v = gs[j];
  }
  j = 0;
  while (j < k && !(gs[j] == min_v)) ++j;
  out.vertex = j < k ? j : 0;  // j == k: every entry NaN
  return out;
}

}  // namespace

FwFit fw_simplex_weights(const CRefMat& y, double zeta, bool intercept, const VectorXd& start, double min_decrease,
                         int max_iter) {
  const Index rows = y.rows();
  const Index k = y.cols() - 1;
  if (k < 1 || rows < 1) throw Error("fw_simplex_weights: need at least one candidate column and one row");
  MatrixXd yc = y;
  if (intercept) yc.rowwise() -= yc.colwise().mean();
  auto a = yc.leftCols(k);
  const VectorXd b = yc.col(k);
  const double eta = static_cast<double>(rows) * zeta * zeta;
  const double zeta2 = zeta * zeta;

  FwFit fit;
  fit.weights = start.size() == k ? start : VectorXd::Constant(k, 1.0 / static_cast<double>(k));
  // half_grad = A'(A x - b) + eta x is synthdid's half gradient; its first argmin is the Frank-Wolfe vertex. Every
  // iterate is a convex combination x <- (1 - s) x + s e_i, so (x summing to one) the half gradient becomes
  // (1 - s) half_grad + s H e_i with H = A'A - A'b 1' + eta I, and the residual r = A x - b becomes r + s (A e_i - b - r):
  // an iteration costs O(rows + k) instead of O(rows k), which makes synthdid's 10000-iteration cap affordable.
  // x and half_grad are kept as scale times vector, x = sx xs and half_grad = sg gs, so that the factors (1 - s)
  // multiply the scales: xs changes only at the vertex, and gs in one axpy with H e_i. Frank-Wolfe's stopping rule
  // and its iterates are synthdid's; only the rounding differs from the plain form.
  MatrixXd h = a.transpose() * a;
  const VectorXd atb = a.transpose() * b;
  VectorXd& xs = fit.weights;
  VectorXd gs = h * xs - atb + eta * xs;
  VectorXd r = a * xs - b;
  h.colwise() -= atb;
  h.diagonal().array() += eta;
  a.colwise() -= b;  // A - b 1': column i minus r is the change of the residual along e_i - x
  VectorXd d_err(rows);
  Index vertex = first_argmin(gs);
  double sx = 1.0, sg = 1.0, xs_xs = xs.squaredNorm(), gs_xs = gs.dot(xs), residual = r.squaredNorm();
  // Below this a scale is folded back into its vector (at s = 1 both restart from zero: x becomes e_i).
  constexpr double kTinyScale = 1e-150;
  const double target = min_decrease * min_decrease;
  double previous = 0.0, current = 0.0;
  int t = 0;
  while (t < max_iter && (t < 2 || previous - current > target)) {
    ++t;
    const Index i = vertex;
    const double xi = sx * xs(i);
    // d_x = e_i - x is zero only at the vertex itself.
    bool at_vertex = xi == 1.0;
    for (Index j = 0; at_vertex && j < k; ++j) at_vertex = j == i || xs(j) == 0.0;
    if (!at_vertex) {
      // Exact line search along d_x (synthdid's step): -half_grad'd_x / (||A d_x||^2 + eta ||d_x||^2), with
      // half_grad'd_x = half_grad_i - half_grad'x and ||d_x||^2 = x'x - 2 x_i + 1.
      const double xx = sx * sx * xs_xs;
      const double denom = direction_pass(a.col(i).data(), r.data(), d_err.data(), rows) + eta * (xx - 2.0 * xi + 1.0);
      const double step = denom > 0 ? -(sg * gs(i) - sg * sx * gs_xs) / denom : 0.0;
      const double s = std::clamp(step, 0.0, 1.0), c = 1.0 - s;
      residual = residual_pass(s, d_err.data(), r.data(), rows);
      if (sx * c > kTinyScale && sg * c > kTinyScale) {
        sx *= c;
        sg *= c;
      } else {
        xs *= sx * c;
        gs *= sg * c;
        sx = sg = 1.0;
        xs_xs = xs.squaredNorm();
      }
      const double old = xs(i);
      xs(i) += s / sx;
      xs_xs += xs(i) * xs(i) - old * old;
      const CandidatePass next = candidate_pass(s / sg, h.col(i).data(), xs.data(), gs.data(), k);
      gs_xs = next.gs_xs;
      vertex = next.vertex;
    }
    previous = current;
    current = zeta2 * sx * sx * xs_xs + residual / static_cast<double>(rows);
  }
  xs *= sx;
  fit.iterations = t;
  fit.converged = t < max_iter || previous - current <= target;
  return fit;
}

VectorXd sparsify_weights(const VectorXd& w) {
  VectorXd out = w;
  const double cut = w.maxCoeff() / 4.0;
  for (Index i = 0; i < out.size(); ++i)
    if (out(i) <= cut) out(i) = 0.0;
  return out / out.sum();
}

}  // namespace chipwar::synth
