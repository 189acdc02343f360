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

// Rows are cut into chunks whose number depends on n alone, never on the thread count; every pass over the data
// runs its chunks in parallel and every sum is put together chunk by chunk in chunk order, so a column's result
// is the same on any number of threads, and a single column (the working residual of most IRLS steps) still uses
// all cores. Chunks start at a group boundary of the fixed effect the rows are sorted by, so that fixed effect's
// group sums (the largest arrays) never straddle chunks and go straight into place; the other fixed effects get
// one partial array per chunk. Below two chunks' worth of rows there is one chunk: the plain sequential passes.
struct RowChunks {
  std::vector<Index> start;  // boundaries: chunk j is rows [start[j], start[j + 1])
  int key = -1;              // the fixed effect whose groups never straddle a boundary (-1: none)
  int count() const { return static_cast<int>(start.size()) - 1; }
};

constexpr Index kRowsPerChunk = Index{1} << 17;
constexpr Index kMaxChunks = 8;

RowChunks make_chunks(const FixedEffects& fe, int key) {
  RowChunks out;
  out.key = key;
  const Index n = fe.n;
  const Index k = std::clamp<Index>(n / kRowsPerChunk, 1, kMaxChunks);
  const int32_t* c = key >= 0 ? fe.column(key) : nullptr;
  out.start.push_back(0);
  for (Index j = 1; j < k; ++j) {
    Index b = std::max(n * j / k, out.start.back());
    while (c && b > 0 && b < n && c[b] == c[b - 1]) ++b;  // rows sorted by the key: move to its next group
    out.start.push_back(b);
  }
  out.start.push_back(n);
  return out;
}

// Demeaning works in the space of fixed-effect coefficients, as fixest does: the residual r = x - sum_q a_q[code_q]
// is kept in step with the coefficients a, one Gauss-Seidel sweep costs one pass over the data per fixed effect
// (subtracting one fixed effect's update is fused with summing the residual for the next one), and the
// Irons-Tuck extrapolation acts on the short coefficient vector rather than on n-vectors.
class ColumnDemeaner {
 public:
  // threads: for the passes over the chunks of this column (1 when the caller runs columns in parallel)
  ColumnDemeaner(const FixedEffects& fe, const double* w, const std::vector<VectorXd>& inv, const RowChunks& chunks,
                 int threads)
      : fe_(fe), w_(w), inv_(inv), chunks_(chunks), threads_(threads), offsets_(fe.n_fe + 1, 0) {
    for (int q = 0; q < fe.n_fe; ++q) offsets_[q + 1] = offsets_[q] + fe.n_groups[q];
    sums_.resize(fe.n_fe);
    partial_.resize(fe.n_fe);
    for (int q = 0; q < fe.n_fe; ++q) {
      sums_[q].resize(fe.n_groups[q]);
      if (!direct(q)) partial_[q].resize(fe.n_groups[q], chunks_.count());
    }
    chunk_values_.resize(chunks_.count());
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
      for_chunks([&](int, Index b, Index e) {
        for (Index i = b; i < e; ++i) col[i] -= delta[c[i]];
      });
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

  // Whether fixed effect q's group sums go straight into sums_[q] (one chunk, or q is the chunks' key).
  bool direct(int q) const { return chunks_.count() == 1 || q == chunks_.key; }

  // fn(chunk, first row, end row) for every chunk, in parallel.
  template <class Fn>
  void for_chunks(Fn&& fn) {
    const int k = chunks_.count();
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1 && k > 1)
    for (int j = 0; j < k; ++j) fn(j, chunks_.start[j], chunks_.start[j + 1]);
  }

  // Where chunk j adds fixed effect q's group sums, zeroed beforehand by start_sums(q).
  double* sum_target(int q, int j) { return direct(q) ? sums_[q].data() : partial_[q].col(j).data(); }
  void start_sums(int q) {
    if (direct(q)) {
      sums_[q].setZero();
    } else {
      partial_[q].setZero();
    }
  }
  // The chunks' partial sums of fixed effect q, added in chunk order.
  void finish_sums(int q) {
    if (direct(q)) return;
    sums_[q] = partial_[q].col(0);
    for (int j = 1; j < chunks_.count(); ++j) sums_[q] += partial_[q].col(j);
  }
  double chunk_total() const {
    double total = chunk_values_[0];
    for (size_t j = 1; j < chunk_values_.size(); ++j) total += chunk_values_[j];
    return total;
  }

  // r -= sum_q change_q[code_q] (r follows a change of the coefficients), and the first fixed effect's group sums
  // of the new r; returns the weighted SSR of r.
  double shift_residual(const VectorXd& change, Eigen::Ref<VectorXd> r) {
    start_sums(0);
    const int32_t* c0 = fe_.column(0);
    for_chunks([&](int j, Index b, Index e) {
      double* s0 = sum_target(0, j);
      double ssr = 0.0;
      for (Index i = b; i < e; ++i) {
        double v = r[i];
        for (int q = 0; q < fe_.n_fe; ++q) v -= change[offsets_[q] + fe_.column(q)[i]];
        r[i] = v;
        s0[c0[i]] += weight(i) * v;
        ssr += weight(i) * v * v;
      }
      chunk_values_[j] = ssr;
    });
    finish_sums(0);
    return chunk_total();
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
      subtract_and_sum(r, delta.data(), q, (q + 1) % fe_.n_fe);
      if (want_ssr && q == fe_.n_fe - 1) ssr_ = weighted_ssr(r);
    }
    return max_delta;
  }

  // r -= delta[code_q]; group sums of w r for fixed effect next, in one pass.
  void subtract_and_sum(Eigen::Ref<VectorXd> r, const double* delta, int q, int next) {
    start_sums(next);
    const int32_t* c = fe_.column(q);
    const int32_t* cn = fe_.column(next);
    double* rp = r.data();
    for_chunks([&](int j, Index b, Index e) {
      double* s = sum_target(next, j);
      if (w_) {
        for (Index i = b; i < e; ++i) {
          rp[i] -= delta[c[i]];
          s[cn[i]] += w_[i] * rp[i];
        }
      } else {
        for (Index i = b; i < e; ++i) {
          rp[i] -= delta[c[i]];
          s[cn[i]] += rp[i];
        }
      }
    });
    finish_sums(next);
  }

  double weighted_ssr(const Eigen::Ref<const VectorXd>& r) {
    for_chunks([&](int j, Index b, Index e) {
      double ssr = 0.0;
      if (w_) {
        for (Index i = b; i < e; ++i) ssr += w_[i] * r[i] * r[i];
      } else {
        ssr = r.segment(b, e - b).squaredNorm();
      }
      chunk_values_[j] = ssr;
    });
    return chunk_total();
  }

  const FixedEffects& fe_;
  const double* w_;
  const std::vector<VectorXd>& inv_;
  const RowChunks& chunks_;
  int threads_;
  std::vector<Index> offsets_;
  std::vector<VectorXd> sums_;
  std::vector<MatrixXd> partial_;  // per fixed effect not summed in place: group x chunk partial sums
  std::vector<double> chunk_values_;
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
  const RowChunks chunks = make_chunks(fe, sorted.sort_key());
  // Columns in parallel when there are enough of them; otherwise the passes over one column's chunks are. The
  // result is the same either way (see RowChunks).
  const int inner_threads = p >= num_threads() ? 1 : num_threads();
  std::vector<int> iters(p, 0);
#pragma omp parallel for schedule(dynamic) num_threads(num_threads()) if (inner_threads == 1)
  for (Index j = 0; j < p; ++j) {
    ColumnDemeaner demeaner(fe, w, inv, chunks, inner_threads);
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
