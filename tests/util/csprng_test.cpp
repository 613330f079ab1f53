#include "util/csprng.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using hepex::Csprng;

TEST(Csprng, SameSeedSameStream) {
  Csprng a(hepex::seed_from_u64(7)), b(hepex::seed_from_u64(7)), c(hepex::seed_from_u64(8));
  for (int i = 0; i < 2000; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    if (i == 0) {
      EXPECT_NE(x, c.next_u64());
    }
  }
}

TEST(Csprng, FreshStreamsDiffer) {
  Csprng a, b;
  EXPECT_NE(a.seed(), b.seed());
  EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(Csprng, UniformBelowIsInRangeAndRoughlyUniform) {
  Csprng r(hepex::seed_from_u64(1));
  const std::uint64_t bound = 10;
  std::vector<int> hist(bound, 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const auto v = r.uniform_below(bound);
    ASSERT_LT(v, bound);
    ++hist[v];
  }
  for (int h : hist) EXPECT_NEAR(h, n / 10.0, 5 * std::sqrt(n / 10.0));
  EXPECT_THROW(r.uniform_below(0), hepex::InvalidArgument);
}

TEST(Csprng, DoublesInUnitInterval) {
  Csprng r(hepex::seed_from_u64(2));
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double d = r.next_double();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}
