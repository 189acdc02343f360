#include <algorithm>
#include <cstdint>
#include <limits>

#include "chipwar/fe/fixed_effects.hpp"

namespace chipwar::fe {

namespace {

// Below this many groups, the largest fixed effect's coefficient, sum and update arrays (8 bytes a group each) fit
// in a core's L2 cache together and random access to them is cheap, so reordering would only add its own cost.
constexpr int32_t kMinGroupsToSort = 1 << 14;

}  // namespace

SortedFixedEffects::SortedFixedEffects(const FixedEffects& fe, bool sort)
    : original_(fe.codes), n_(fe.n), n_fe_(fe.n_fe), n_groups_(fe.n_groups) {
  if (!sort || n_fe_ == 0 || n_ > static_cast<Index>(std::numeric_limits<uint32_t>::max())) return;
  const int big = static_cast<int>(std::max_element(n_groups_.begin(), n_groups_.end()) - n_groups_.begin());
  const int32_t g_big = n_groups_[big];
  if (g_big < kMinGroupsToSort) return;
  sort_key_ = big;
  // Counting sort of the largest fixed effect's codes: stable, so rows keep their order within a group.
  std::vector<Index> start(static_cast<size_t>(g_big) + 1, 0);
  const int32_t* cb = fe.column(big);
  for (Index i = 0; i < n_; ++i) ++start[cb[i] + 1];
  for (int32_t g = 0; g < g_big; ++g) start[g + 1] += start[g];
  order_.resize(n_);
  {
    std::vector<Index> next(start.begin(), start.end() - 1);
    for (Index i = 0; i < n_; ++i) order_[next[cb[i]]++] = static_cast<uint32_t>(i);
  }
  codes_.resize(static_cast<size_t>(n_) * n_fe_);
  for (int q = 0; q < n_fe_; ++q) {
    int32_t* out = codes_.data() + static_cast<Index>(q) * n_;
    if (q == big) {
      for (int32_t g = 0; g < g_big; ++g) std::fill(out + start[g], out + start[g + 1], g);
    } else {
      const int32_t* c = fe.column(q);
      for (Index k = 0; k < n_; ++k) out[k] = c[order_[k]];
    }
  }
}

}  // namespace chipwar::fe
