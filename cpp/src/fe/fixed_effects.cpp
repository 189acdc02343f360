#include "chipwar/fe/fixed_effects.hpp"

#include <algorithm>
#include <cmath>

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

// Demeaning works in the space of fixed-effect coefficients, as fixest does: the residual r = x - sum_q a_q[code_q]
// is kept in step with the coefficients a, one Gauss-Seidel sweep costs one pass over the data per fixed effect
// (subtracting one fixed effect's update is fused with summing the residual for the next one), and the
// Irons-Tuck extrapolation acts on the short coefficient vector rather than on n-vectors.
class ColumnDemeaner {
 public:
  ColumnDemeaner(const FixedEffects& fe, const double* w, const std::vector<VectorXd>& inv)
      : fe_(fe), w_(w), inv_(inv), offsets_(fe.n_fe + 1, 0) {
    for (int q = 0; q < fe.n_fe; ++q) offsets_[q + 1] = offsets_[q] + fe.n_groups[q];
    sums_.resize(fe.n_fe);
    for (int q = 0; q < fe.n_fe; ++q) sums_[q].resize(fe.n_groups[q]);
  }

  // Demeans col in place; returns the number of sweeps, negative if max_iter was reached first.
  int run(Eigen::Ref<VectorXd> col, const DemeanOptions& opt) {
    const Index total = offsets_.back();
    const double scale = fe_.n > 0 ? std::sqrt(col.squaredNorm() / static_cast<double>(fe_.n)) : 0.0;
    const double tol = opt.tol * (1.0 + scale);
    a_ = VectorXd::Zero(total);
    shift_residual(a_, col);  // a = 0: only the first fixed effect's group sums
    if (fe_.n_fe == 1) {  // one fixed effect: a single exact projection, subtracting the group means summed above
      VectorXd& delta = sums_[0];
      delta.array() *= inv_[0].array();
      const int32_t* c = fe_.column(0);
      for (Index i = 0; i < fe_.n; ++i) col[i] -= delta[c[i]];
      return 1;
    }
    VectorXd a0(total), a1(total), jump(total);
    int iter = 0;
    while (iter < opt.max_iter) {
      a0 = a_;
      ++iter;
      const double step1 = sweep(col, false);
      if (step1 == 0.0) return iter;
      a1 = a_;
      ++iter;
      const double step2 = sweep(col, true);
      // Two plain sweeps estimate the contraction rate; the distance left is about step2 * rate / (1 - rate), so
      // a slowly contracting iteration (rate near 1) is not declared converged just because its steps are small.
      const double rate = step2 / step1;
      if (step2 <= tol && rate < 1.0 && step2 * rate / (1.0 - rate) <= tol) return iter;
      const VectorXd d1 = a_ - a1;
      const VectorXd d2 = d1 - (a1 - a0);
      const double denom = d2.squaredNorm();
      if (denom > 0.0) {
        // Gauss-Seidel sweeps never increase the (weighted) residual sum of squares; an extrapolated point that
        // does is rejected, so the iteration stays monotone and cannot diverge. The residual follows the
        // coefficients by their change (like the sweeps do), so the original column is never kept.
        const double ssr_before = ssr_;
        jump = -(d1.dot(d2) / denom) * d1;
        a_ += jump;
        if (shift_residual(jump, col) > ssr_before) {
          a_ -= jump;
          jump = -jump;
          shift_residual(jump, col);
        }
      }
    }
    return -iter;
  }

 private:
  double weight(Index i) const { return w_ ? w_[i] : 1.0; }

  // r -= sum_q change_q[code_q] (r follows a change of the coefficients), and the first fixed effect's group sums
  // of the new r; returns the weighted SSR of r.
  double shift_residual(const VectorXd& change, Eigen::Ref<VectorXd> r) {
    VectorXd& s0 = sums_[0];
    s0.setZero();
    const int32_t* c0 = fe_.column(0);
    double ssr = 0.0;
    for (Index i = 0; i < fe_.n; ++i) {
      double v = r[i];
      for (int q = 0; q < fe_.n_fe; ++q) v -= change[offsets_[q] + fe_.column(q)[i]];
      r[i] = v;
      s0[c0[i]] += weight(i) * v;
      ssr += weight(i) * v * v;
    }
    return ssr;
  }

  // One Gauss-Seidel sweep over the fixed effects; expects sums_[0] up to date and leaves it so. With want_ssr,
  // ssr_ becomes the weighted residual sum of squares after the sweep (only the safeguard after the second sweep
  // of a pair needs it, and it costs a pass).
  double sweep(Eigen::Ref<VectorXd> r, bool want_ssr) {
    double max_delta = 0.0;
    for (int q = 0; q < fe_.n_fe; ++q) {
      VectorXd& delta = sums_[q];
      delta.array() *= inv_[q].array();
      a_.segment(offsets_[q], delta.size()) += delta;
      max_delta = std::max(max_delta, delta.cwiseAbs().maxCoeff());
      const int next = (q + 1) % fe_.n_fe;
      const int32_t* c = fe_.column(q);
      const int32_t* cn = fe_.column(next);
      VectorXd& s = sums_[next];
      s.setZero();
      subtract_and_sum(r, delta.data(), c, s.data(), cn);
      if (want_ssr && q == fe_.n_fe - 1) ssr_ = w_ ? weighted_ssr(r) : r.squaredNorm();
    }
    return max_delta;
  }

  // r -= delta[c]; s[cn] += w r, in one pass.
  void subtract_and_sum(Eigen::Ref<VectorXd> r, const double* delta, const int32_t* c, double* s,
                        const int32_t* cn) const {
    double* rp = r.data();
    if (w_) {
      for (Index i = 0; i < fe_.n; ++i) {
        rp[i] -= delta[c[i]];
        s[cn[i]] += w_[i] * rp[i];
      }
    } else {
      for (Index i = 0; i < fe_.n; ++i) {
        rp[i] -= delta[c[i]];
        s[cn[i]] += rp[i];
      }
    }
  }

  double weighted_ssr(const Eigen::Ref<const VectorXd>& r) const {
    double ssr = 0.0;
    for (Index i = 0; i < fe_.n; ++i) ssr += w_[i] * r[i] * r[i];
    return ssr;
  }

  const FixedEffects& fe_;
  const double* w_;
  const std::vector<VectorXd>& inv_;
  std::vector<Index> offsets_;
  std::vector<VectorXd> sums_;
  VectorXd a_;
  double ssr_ = 0.0;
};

}  // namespace

namespace {

// Demeans p float64 or float32 columns read from in (column stride ld_in) into float64 columns of out (stride
// ld_out), every column in a float64 working vector. in and out may be the same memory: a column is read whole
// before it is written.
template <class Scalar>
DemeanStats demean_columns(const Scalar* in, Index ld_in, double* out, Index ld_out, Index p,
                           const SortedFixedEffects& sorted, const double* weights, const DemeanOptions& opt) {
  DemeanStats res;
  const Index n = sorted.n();
  res.iterations.assign(p, 0);
  res.converged.assign(p, true);
  const FixedEffects fe = sorted.view();
  if (fe.n_fe == 0) {
    for (Index j = 0; j < p; ++j)
      if (static_cast<const void*>(in + j * ld_in) != static_cast<const void*>(out + j * ld_out))
        for (Index i = 0; i < n; ++i) out[j * ld_out + i] = static_cast<double>(in[j * ld_in + i]);
    return res;
  }
  const std::vector<uint32_t>& order = sorted.order();
  std::vector<double> w_sorted;
  const double* w = weights;
  if (weights && sorted.reordered()) {
    w_sorted.resize(n);
    for (Index k = 0; k < n; ++k) w_sorted[k] = weights[order[k]];
    w = w_sorted.data();
  }
  const auto inv = inverse_group_weights(fe, w);
  std::vector<int> iters(p, 0);
#pragma omp parallel for schedule(dynamic) num_threads(num_threads())
  for (Index j = 0; j < p; ++j) {
    ColumnDemeaner demeaner(fe, w, inv);
    const Scalar* src = in + j * ld_in;
    Eigen::Map<VectorXd> dst(out + j * ld_out, n);
    if (order.empty()) {
      if (static_cast<const void*>(src) != static_cast<const void*>(dst.data()))
        for (Index i = 0; i < n; ++i) dst[i] = static_cast<double>(src[i]);
      iters[j] = demeaner.run(dst, opt);
      continue;
    }
    // into working order and back: one gather and one scatter per column
    VectorXd col(n);
    for (Index k = 0; k < n; ++k) col[k] = static_cast<double>(src[order[k]]);
    iters[j] = demeaner.run(col, opt);
    for (Index k = 0; k < n; ++k) dst[order[k]] = col[k];
  }
  for (Index j = 0; j < p; ++j) {
    res.iterations[j] = std::abs(iters[j]);
    res.converged[j] = iters[j] > 0;
  }
  return res;
}

// Demeans into a new matrix.
template <class Scalar>
DemeanResult demean_copy(const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x,
                         const SortedFixedEffects& sorted, const double* weights, const DemeanOptions& opt) {
  if (x.rows() != sorted.n()) throw Error("demean: data and fixed effects have different numbers of rows");
  DemeanResult res;
  res.values.resize(x.rows(), x.cols());
  static_cast<DemeanStats&>(res) = demean_columns<Scalar>(x.data(), x.outerStride(), res.values.data(), x.rows(),
                                                          x.cols(), sorted, weights, opt);
  return res;
}

}  // namespace

DemeanResult demean(const CRefMat& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt) {
  if (x.rows() != fe.n) throw Error("demean: data and fixed effects have different numbers of rows");
  return demean_copy<double>(x, SortedFixedEffects(fe), weights, opt);
}

DemeanResult demean(const CRefMatF& x, const FixedEffects& fe, const double* weights, const DemeanOptions& opt) {
  if (x.rows() != fe.n) throw Error("demean: data and fixed effects have different numbers of rows");
  return demean_copy<float>(x, SortedFixedEffects(fe), weights, opt);
}

DemeanResult demean(const CRefMat& x, const SortedFixedEffects& sorted, const double* weights,
                    const DemeanOptions& opt) {
  return demean_copy<double>(x, sorted, weights, opt);
}

DemeanStats demean_in_place(Eigen::Ref<MatrixXd> x, const SortedFixedEffects& sorted, const double* weights,
                            const DemeanOptions& opt) {
  if (x.rows() != sorted.n()) throw Error("demean: data and fixed effects have different numbers of rows");
  return demean_columns<double>(x.data(), x.outerStride(), x.data(), x.outerStride(), x.cols(), sorted, weights, opt);
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

std::vector<std::vector<int32_t>> compact_codes(int32_t* codes, Index n, const std::vector<int32_t>& n_groups) {
  std::vector<std::vector<int32_t>> used(n_groups.size());
  for (size_t q = 0; q < n_groups.size(); ++q) {
    int32_t* c = codes + static_cast<Index>(q) * n;
    const int32_t g = n_groups[q];
    std::vector<int32_t> remap(g, -1);
    for (Index i = 0; i < n; ++i) {
      if (c[i] < 0 || c[i] >= g) throw Error("compact_codes: code outside 0.." + std::to_string(g - 1));
      remap[c[i]] = 0;
    }
    int32_t next = 0;
    for (int32_t k = 0; k < g; ++k) {
      if (remap[k] == 0) {
        remap[k] = next++;
        used[q].push_back(k);
      }
    }
    for (Index i = 0; i < n; ++i) c[i] = remap[c[i]];
  }
  return used;
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
