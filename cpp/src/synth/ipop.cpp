#include "chipwar/synth/ipop.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>

namespace chipwar::synth {
namespace {

// Solve the KKT system [-Hx 1; 1' hy] [dx; dy] = [cx; cy] by LU with partial pivoting, refusing (as R's solve does)
// a matrix whose estimated reciprocal 1-norm condition number is below machine epsilon.
void solve_kkt(MatrixXd& ap, const VectorXd& cx, double cy, VectorXd& dx, double& dy) {
  const Index n = cx.size();
  const Eigen::PartialPivLU<MatrixXd> lu(ap);
  if (!(lu.rcond() >= std::numeric_limits<double>::epsilon()))
    throw Error("ipop: the interior-point system is computationally singular");
  VectorXd rhs(n + 1);
  rhs.head(n) = cx;
  rhs(n) = cy;
  const VectorXd sol = lu.solve(rhs);
  dx = sol.head(n);
  dy = sol(n);
}

}  // namespace

VectorXd ipop_simplex(const MatrixXd& h, const VectorXd& c, const IpopOptions& o) {
  const Index n = c.size();
  if (h.rows() != n || h.cols() != n) throw Error("ipop: H must be square with one row per entry of c");
  // Constraint data of Synth's problem: A = 1' (m = 1), b = 1, l = 0, u = 1, r = 0.
  constexpr double b = 1.0, r = 0.0;
  const double m = 1.0;
  MatrixXd ap = MatrixXd::Zero(n + 1, n + 1);
  ap.topLeftCorner(n, n) = -h;
  ap.topLeftCorner(n, n).diagonal().array() -= 1.0;
  ap.block(n, 0, 1, n).setOnes();
  ap.block(0, n, n, 1).setOnes();
  ap(n, n) = 1.0;
  VectorXd x(n), dx(n);
  double y = 0.0, dy = 0.0;
  solve_kkt(ap, c, b, x, y);
  // Starting slacks: g, t for the bounds 0 <= x <= 1, w, p for the range of A x (r = 0), and their duals z, s, v, q.
  VectorXd g = x.cwiseAbs().cwiseMax(o.bound);  // |x - l| with l = 0
  VectorXd z = x.cwiseAbs().cwiseMax(o.bound);
  VectorXd t = (1.0 - x.array()).abs().max(o.bound).matrix();
  VectorXd s = x.cwiseAbs().cwiseMax(o.bound);
  double v = std::max(std::abs(y), o.bound);
  double w = std::max(std::abs(y), o.bound);
  double p = std::max(std::abs(r - w), o.bound);
  double q = std::max(std::abs(y), o.bound);
  double mu = (z.dot(g) + v * w + s.dot(t) + p * q) / (2 * (m + static_cast<double>(n)));
  VectorXd hx(n), nu(n), tau(n), sigma(n), hat_nu(n), hat_tau(n), d(n), cx(n);
  VectorXd ddz(n), dds(n), ddg(n), ddt(n);
  for (int counter = 0; counter < o.max_iter; ++counter) {
    hx.noalias() = h * x;
    const double rho = b - x.sum() + w;
    nu = -x + g;
    tau = (1.0 - x.array()).matrix() - t;
    const double alpha = r - w - p;
    sigma = c - VectorXd::Constant(n, y) - z + s + hx;
    const double beta = y + q - v;
    const double xhx = x.dot(hx);
    const double primal_obj = c.dot(x) + 0.5 * xhx;
    const double dual_obj = b * y - 0.5 * xhx - s.sum() - r * q;
    const double sigfig = std::max(-std::log10(std::abs(primal_obj - dual_obj) / (std::abs(primal_obj) + 1)), 0.0);
    if (sigfig >= o.sigf) break;
    d = z.cwiseQuotient(g) + s.cwiseQuotient(t);
    const double e = 1 / (v / w + q / p);
    ap.topLeftCorner(n, n) = -h;
    ap.topLeftCorner(n, n).diagonal() -= d;
    ap(n, n) = e;
    // Predictor (affine) step, then the corrector with the centring term mu; both solve the same system.
    double gamma_w = -w, gamma_q = -q;
    VectorXd gamma_z = -z, gamma_s = -s;
    double step = 0.0, dw = 0.0, dq = 0.0, dv = 0.0, dp = 0.0;
    for (int pass = 0; pass < 2; ++pass) {
      const double hat_beta = beta - v * gamma_w / w;
      const double hat_alpha = alpha - p * gamma_q / q;
      hat_nu = nu + g.cwiseProduct(gamma_z).cwiseQuotient(z);
      hat_tau = tau - t.cwiseProduct(gamma_s).cwiseQuotient(s);
      cx = sigma - z.cwiseProduct(hat_nu).cwiseQuotient(g) - s.cwiseProduct(hat_tau).cwiseQuotient(t);
      const double cy = rho - e * (hat_beta - q * hat_alpha / p);
      solve_kkt(ap, cx, cy, dx, dy);
      dw = -e * (hat_beta - q * hat_alpha / p + dy);
      dds = s.cwiseProduct(dx - hat_tau).cwiseQuotient(t);
      ddz = z.cwiseProduct(hat_nu - dx).cwiseQuotient(g);
      dq = q * (dw - hat_alpha) / p;
      dv = v * (gamma_w - dw) / w;
      dp = p * (gamma_q - dq) / q;
      ddg = g.cwiseProduct(gamma_z - ddz).cwiseQuotient(z);
      ddt = t.cwiseProduct(gamma_s - dds).cwiseQuotient(s);
      double worst = std::min({dw / w, dp / p, dv / v, dq / q, -1.0});
      worst = std::min({worst, ddg.cwiseQuotient(g).minCoeff(), ddt.cwiseQuotient(t).minCoeff(),
                        ddz.cwiseQuotient(z).minCoeff(), dds.cwiseQuotient(s).minCoeff()});
      step = -(1 - o.margin) / worst;
      if (pass == 0) {
        const double new_mu = mu * std::pow((step - 1) / (step + 10), 2);
        gamma_z = (mu / g.array() - z.array() - ddz.array() * ddg.array() / g.array()).matrix();
        gamma_w = mu / v - w - dw * dv / v;
        gamma_s = (mu / t.array() - s.array() - dds.array() * ddt.array() / t.array()).matrix();
        gamma_q = mu / p - q - dq * dp / p;
        mu = new_mu;  // used from the next iteration on (the corrector uses the current mu above)
      }
    }
    x += step * dx;
    g += step * ddg;
    w += step * dw;
    t += step * ddt;
    p += step * dp;
    y += step * dy;
    z += step * ddz;
    v += step * dv;
    s += step * dds;
    q += step * dq;
  }
  return x;
}

}  // namespace chipwar::synth
