#include "infer/distribution.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace hepex::infer {

std::vector<RowRange> split_tile_rows(const std::vector<bool>& dead_rows, std::size_t parts) {
  if (parts == 0) throw InvalidArgument("split_tile_rows: 0 parts");
  std::vector<std::size_t> live;
  for (std::size_t r = 0; r < dead_rows.size(); ++r)
    if (!dead_rows[r]) live.push_back(r);
  const std::size_t rows = dead_rows.size(), n = live.size();
  std::vector<RowRange> out(parts, RowRange{rows, rows});
  if (n == 0) {  // nothing to split: the first part evaluates the layer as a single process would
    out[0] = {0, rows};
    return out;
  }
  // Part p takes live rows [first(p), first(p + 1)): n / parts each, one more for the first n % parts.
  const auto first = [&](std::size_t p) { return p * (n / parts) + std::min(p, n % parts); };
  for (std::size_t p = 0; p < parts && first(p) < n; ++p) {
    out[p].begin = p == 0 ? 0 : live[first(p)];
    out[p].end = first(p + 1) == n ? rows : live[first(p + 1)];
  }
  return out;
}

}  // namespace hepex::infer
