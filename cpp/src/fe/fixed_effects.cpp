#include "chipwar/fe/fixed_effects.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace chipwar::fe {

void FixedEffects::validate() const {
  if (n_fe < 0 || static_cast<int>(n_groups.size()) != n_fe) throw Error("fixed effects: n_groups has the wrong length");
  for (int q = 0; q < n_fe; ++q) {
    const int32_t* c = column(q);
    const int32_t g = n_groups[q];
    for (Index i = 0; i < n; ++i) {
      if (c[i] < 0 || c[i] >= g)
        throw Error("fixed effect " + std::to_string(q) + ": code " + std::to_string(c[i]) + " at row " +
                    std::to_string(i) + " is outside 0.." + std::to_string(g - 1));
    }
  }
}

namespace {

// Inverse of the (weighted) size of every group of every fixed effect.
std::vector<VectorXd> inverse_group_weights(const FixedEffects& fe, const double* w) {
  std::vector<VectorXd> inv(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) {
    VectorXd s = VectorXd::Zero(fe.n_groups[q]);
    const int32_t* c = fe.column(q);
    for (Index i = 0; i < fe.n; ++i) s[c[i]] += w ? w[i] : 1.0;
    for (Index g = 0; g < s.size(); ++g) s[g] = s[g] > 0 ? 1.0 / s[g] : 0.0;
    inv[q] = std::move(s);
  }
  return inv;
}

// One sweep of alternating projections: subtract every fixed effect's group means in turn.
void sweep(double* r, const FixedEffects& fe, const double* w, const std::vector<VectorXd>& inv,
           std::vector<VectorXd>& sums) {
  for (int q = 0; q < fe.n_fe; ++q) {
    const int32_t* c = fe.column(q);
    VectorXd& s = sums[q];
    s.setZero();
    if (w) {
      for (Index i = 0; i < fe.n; ++i) s[c[i]] += w[i] * r[i];
    } else {
      for (Index i = 0; i < fe.n; ++i) s[c[i]] += r[i];
    }
    s.array() *= inv[q].array();
    for (Index i = 0; i < fe.n; ++i) r[i] -= s[c[i]];
  }
}

double max_abs_diff(const VectorXd& a, const VectorXd& b) { return (a - b).cwiseAbs().maxCoeff(); }

// Demeans one column in place; returns the number of sweeps, negative if not converged.
int demean_column(Eigen::Ref<VectorXd> col, const FixedEffects& fe, const double* w,
                  const std::vector<VectorXd>& inv, const DemeanOptions& opt) {
  std::vector<VectorXd> sums(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) sums[q].resize(fe.n_groups[q]);
  VectorXd x = col;
  if (fe.n_fe == 1) {  // a single fixed effect is one exact projection
    sweep(x.data(), fe, w, inv, sums);
    col = x;
    return 1;
  }
  const double scale = fe.n > 0 ? std::sqrt(x.squaredNorm() / static_cast<double>(fe.n)) : 0.0;
  const double tol = opt.tol * (1.0 + scale);
  VectorXd x1(fe.n), x2(fe.n), fallback;
  // Change of the last plain sweep before an extrapolation; if the extrapolated point does worse, it is
  // discarded (with very unequal weights the Irons-Tuck step can overshoot and diverge).
  double last_change = std::numeric_limits<double>::infinity();
  int iter = 0;
  while (iter < opt.max_iter) {
    x1 = x;
    sweep(x1.data(), fe, w, inv, sums);
    ++iter;
    const double change = max_abs_diff(x1, x);
    if (change <= tol) {
      col = x1;
      return iter;
    }
    if (!(change <= last_change) && fallback.size()) {
      x = fallback;  // reject the extrapolation: restart from the last plain sweep
      fallback.resize(0);
      continue;
    }
    x2 = x1;
    sweep(x2.data(), fe, w, inv, sums);
    ++iter;
    last_change = max_abs_diff(x2, x1);
    if (last_change <= tol) {
      col = x2;
      return iter;
    }
    fallback = x2;
    // Irons-Tuck extrapolation of the fixed-point iteration x -> T(x).
    const VectorXd d1 = x2 - x1;
    const VectorXd d2 = d1 - (x1 - x);
    const double denom = d2.squaredNorm();
    if (denom > 0.0) {
      x = x2 - (d1.dot(d2) / denom) * d1;
    } else {
      x = x2;
    }
  }
  col = x;
  return -iter;
}

}  // namespace

DemeanResult demean(const CRefMat& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt) {
  if (x.rows() != fe.n) throw Error("demean: data and fixed effects have different numbers of rows");
  DemeanResult res;
  res.values = x;
  const Index p = x.cols();
  res.iterations.assign(p, 0);
  res.converged.assign(p, true);
  if (fe.n_fe == 0) return res;
  const auto inv = inverse_group_weights(fe, weights);
  std::vector<int> iters(p, 0);
#pragma omp parallel for schedule(dynamic) num_threads(num_threads())
  for (Index j = 0; j < p; ++j) {
    iters[j] = demean_column(res.values.col(j), fe, weights, inv, opt);
  }
  for (Index j = 0; j < p; ++j) {
    res.iterations[j] = std::abs(iters[j]);
    res.converged[j] = iters[j] > 0;
  }
  return res;
}

std::vector<uint8_t> singleton_keep_mask(const FixedEffects& fe) {
  std::vector<uint8_t> keep(fe.n, 1);
  if (fe.n_fe == 0) return keep;
  std::vector<std::vector<Index>> counts(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) counts[q].assign(fe.n_groups[q], 0);
  for (int q = 0; q < fe.n_fe; ++q) {
    const int32_t* c = fe.column(q);
    for (Index i = 0; i < fe.n; ++i) ++counts[q][c[i]];
  }
  // Dropping a singleton of one fixed effect can create singletons in another: repeat until stable.
  bool changed = true;
  while (changed) {
    changed = false;
    for (int q = 0; q < fe.n_fe; ++q) {
      const int32_t* c = fe.column(q);
      for (Index i = 0; i < fe.n; ++i) {
        if (keep[i] && counts[q][c[i]] == 1) {
          keep[i] = 0;
          changed = true;
          for (int r = 0; r < fe.n_fe; ++r) --counts[r][fe.column(r)[i]];
        }
      }
    }
  }
  return keep;
}

FixefResult recover_fixef(const CRefVec& d, const FixedEffects& fe, const double* weights, const DemeanOptions& opt) {
  FixefResult out;
  out.coefficients.resize(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) out.coefficients[q] = VectorXd::Zero(fe.n_groups[q]);
  if (fe.n_fe == 0) return out;
  const auto inv = inverse_group_weights(fe, weights);
  std::vector<VectorXd> sums(fe.n_fe);
  for (int q = 0; q < fe.n_fe; ++q) sums[q].resize(fe.n_groups[q]);
  // Gauss-Seidel on the residual: every mean subtracted from r is added to that group's coefficient,
  // so that d = sum_q alpha_q[code_q] + r with r -> 0.
  VectorXd r = d;
  const double scale = std::sqrt(d.squaredNorm() / std::max<double>(1.0, static_cast<double>(fe.n)));
  const double tol = opt.tol * (1.0 + scale);
  for (out.iterations = 1; out.iterations <= opt.max_iter; ++out.iterations) {
    double change = 0.0;
    for (int q = 0; q < fe.n_fe; ++q) {
      const int32_t* c = fe.column(q);
      VectorXd& s = sums[q];
      s.setZero();
      for (Index i = 0; i < fe.n; ++i) s[c[i]] += (weights ? weights[i] : 1.0) * r[i];
      s.array() *= inv[q].array();
      for (Index i = 0; i < fe.n; ++i) r[i] -= s[c[i]];
      out.coefficients[q] += s;
      change = std::max(change, s.cwiseAbs().maxCoeff());
    }
    if (change <= tol) {
      out.converged = true;
      break;
    }
  }
  // Normalise: the first group of every later fixed effect is the reference.
  for (int q = 1; q < fe.n_fe; ++q) {
    if (fe.n_groups[q] == 0) continue;
    const double ref = out.coefficients[q][0];
    out.coefficients[q].array() -= ref;
    out.coefficients[0].array() += ref;
  }
  return out;
}

}  // namespace chipwar::fe
