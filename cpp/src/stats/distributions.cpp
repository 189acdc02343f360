#include "chipwar/stats/distributions.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

#include "chipwar/common.hpp"

namespace chipwar::stats {
namespace {

bool use_normal(double df) { return !(df > 0.0) || std::isinf(df); }
const boost::math::normal_distribution<double> kNormal(0.0, 1.0);

}  // namespace

double t_two_sided_pvalue(double t, double df) {
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  const double a = std::fabs(t);
  if (use_normal(df)) return 2.0 * boost::math::cdf(boost::math::complement(kNormal, a));
  return 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t_distribution<double>(df), a));
}

double t_quantile(double p, double df) {
  if (!(p > 0.0 && p < 1.0)) throw Error("t_quantile: probability must be in (0, 1)");
  if (use_normal(df)) return boost::math::quantile(kNormal, p);
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

double chi2_sf(double x, double df) {
  if (!(df > 0.0)) throw Error("chi2_sf: degrees of freedom must be positive");
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();  // an undefined statistic has no p-value
  if (!(x > 0.0)) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared_distribution<double>(df), x));
}

double f_sf(double x, double df1, double df2) {
  if (!(df1 > 0.0 && df2 > 0.0)) throw Error("f_sf: degrees of freedom must be positive");
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (!(x > 0.0)) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::fisher_f_distribution<double>(df1, df2), x));
}

double normal_cdf(double x) {
  // boost rejects NaN (a domain error, raised in Python as ValueError): a NaN statistic (0/0, from a zero standard
  // error) has an undefined probability, so it stays NaN as in t_two_sided_pvalue
  if (std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  return boost::math::cdf(kNormal, x);
}

double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) throw Error("normal_quantile: probability must be in (0, 1)");
  return boost::math::quantile(kNormal, p);
}

}  // namespace chipwar::stats
