// Reference distributions for tests and intervals (Boost.Math). df <= 0 or infinite means the normal.
#pragma once

namespace chipwar::stats {

double t_two_sided_pvalue(double t, double df);
double t_quantile(double p, double df);
double chi2_sf(double x, double df);
double f_sf(double x, double df1, double df2);
double normal_cdf(double x);
double normal_quantile(double p);

}  // namespace chipwar::stats
