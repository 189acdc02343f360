#include "chipwar/stats/linalg.hpp"

#include <algorithm>
#include <cmath>

namespace chipwar::stats {

MatrixXd weighted_crossprod(const CRefMat& x, const double* w) {
  const Index k = x.cols();
  MatrixXd g = MatrixXd::Zero(k, k);
  // Eigen's rank update forms references through the (null) data pointer of an empty operand: undefined
  // behaviour (UBSan reports it), with an empty or zero gram as the only possible answer.
  if (k == 0 || x.rows() == 0) return g;
  if (w) {
    // sqrt(w) x in blocks of rows that stay in cache: no n x k copy of x (IRLS calls this every step)
    constexpr Index kBlock = 2048;
    MatrixXd xw(std::min<Index>(kBlock, x.rows()), k);
    for (Index start = 0; start < x.rows(); start += kBlock) {
      const Index rows = std::min(kBlock, x.rows() - start);
      const Eigen::Map<const VectorXd> wv(w + start, rows);
      xw.topRows(rows) = x.middleRows(start, rows).array().colwise() * wv.array().sqrt();
      g.selfadjointView<Eigen::Lower>().rankUpdate(xw.topRows(rows).transpose());
    }
  } else {
    g.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  }
  return g.selfadjointView<Eigen::Lower>();
}

std::vector<uint8_t> independent_columns(const MatrixXd& gram, double tol) {
  const Index k = gram.rows();
  std::vector<uint8_t> keep(k, 0);
  // Incremental Cholesky over the kept columns, in the given order.
  MatrixXd l = MatrixXd::Zero(k, k);
  std::vector<Index> kept;
  for (Index j = 0; j < k; ++j) {
    const double diag = gram(j, j);
    if (!(diag > 0.0)) continue;
    VectorXd lj(kept.size());
    for (size_t a = 0; a < kept.size(); ++a) {
      double s = gram(j, kept[a]);
      for (size_t b = 0; b < a; ++b) s -= l(a, b) * lj[b];
      lj[a] = s / l(a, a);
    }
    const double resid = diag - lj.squaredNorm();
    if (resid <= tol * diag) continue;
    const Index a = static_cast<Index>(kept.size());
    for (Index b = 0; b < a; ++b) l(a, b) = lj[b];
    l(a, a) = std::sqrt(resid);
    kept.push_back(j);
    keep[j] = 1;
  }
  return keep;
}

MatrixXd spd_inverse(const MatrixXd& a) {
  Eigen::LLT<MatrixXd> llt(a);
  if (llt.info() != Eigen::Success) throw Error("matrix is not positive definite (collinear design?)");
  return llt.solve(MatrixXd::Identity(a.rows(), a.cols()));
}

OlsFit ols(const CRefMat& x, const CRefVec& y, const double* w, double collin_tol) {
  if (x.rows() != y.size()) throw Error("ols: x and y have different numbers of rows");
  OlsFit fit;
  const MatrixXd gram = weighted_crossprod(x, w);
  fit.kept = independent_columns(gram, collin_tol);
  std::vector<Index> idx;
  for (Index j = 0; j < x.cols(); ++j)
    if (fit.kept[j]) idx.push_back(j);
  const Index k = static_cast<Index>(idx.size());
  MatrixXd gk(k, k);
  VectorXd xty(k);
  for (Index a = 0; a < k; ++a) {
    for (Index b = 0; b < k; ++b) gk(a, b) = gram(idx[a], idx[b]);
    xty[a] = w ? (x.col(idx[a]).array() * Eigen::Map<const VectorXd>(w, x.rows()).array() * y.array()).sum()
               : x.col(idx[a]).dot(y);
  }
  fit.bread = k > 0 ? spd_inverse(gk) : MatrixXd(0, 0);
  fit.coef = k > 0 ? VectorXd(fit.bread * xty) : VectorXd(0);
  fit.resid = y;
  for (Index a = 0; a < k; ++a) fit.resid -= fit.coef[a] * x.col(idx[a]);
  return fit;
}

MatrixXd group_sums(const CRefMat& m, const int32_t* codes, int32_t n_groups) {
  MatrixXd out = MatrixXd::Zero(n_groups, m.cols());
  for (Index j = 0; j < m.cols(); ++j) {
    double* o = out.col(j).data();
    const auto col = m.col(j);
    for (Index i = 0; i < m.rows(); ++i) {
      const int32_t g = codes[i];
      if (g < 0 || g >= n_groups) throw Error("group_sums: code outside 0..n_groups-1 at row " + std::to_string(i));
      o[g] += col[i];
    }
  }
  return out;
}

}  // namespace chipwar::stats
