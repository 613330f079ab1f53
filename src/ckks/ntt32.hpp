#pragma once
// The NTT for moduli below 2^31 in 32-bit lanes (AVX2 builds): eight butterflies per instruction stream
// instead of four, on residues held as 32-bit words in the first half of the caller's 64-bit array, so each
// stage also streams half the bytes. Internal to NttTables (ntt.hpp), which keeps the 64-bit interface.
//
// Every value stays fully reduced, in [0, q): with q < 2^31 a sum of two or a difference plus q is below
// 2q < 2^32, so one unsigned minimum (x - q wraps above x when x < q) reduces it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ckks/modarith.hpp"

namespace hepex::ckks::ntt32 {

// Whether this build has the kernels and q is below their bound.
bool applies(u64 q);

// The 32-bit twiddle tables of one NttTables: words and Shoup companions floor(w 2^32 / q), in the 64-bit
// tables' consumption order (forward: index m + i for stage with m groups; inverse: stage after stage).
struct Tables {
  std::vector<std::uint32_t> fwd, fwd_shoup, inv, inv_shoup;
  std::uint32_t n_inv = 0, n_inv_shoup = 0, n_inv_w = 0, n_inv_w_shoup = 0;
};

// The 64-bit tables (words < q, companions floor(w 2^64 / q)) narrowed: the 32-bit companion is the top half.
Tables narrow_tables(const std::vector<u64>& fwd, const std::vector<u64>& fwd_shoup, const std::vector<u64>& inv,
                     const std::vector<u64>& inv_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w, u64 n_inv_w_shoup);

// In place on a[0, 2^log_n), log_n >= 4; inputs < 4q; outputs in [0, q) (so both NttTables variants, lazy
// or not, are served by one kernel each).
void forward(u64* a, int log_n, std::uint32_t q, const Tables& t);
void inverse(u64* a, int log_n, std::uint32_t q, const Tables& t);

}  // namespace hepex::ckks::ntt32
