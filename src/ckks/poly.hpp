#pragma once
// RnsPoly: one polynomial in RNS form, stored as ONE contiguous 64-byte-aligned allocation, limb-major:
// limb j (the residues modulo the j-th modulus of whatever basis the owner uses) is [j*n, (j+1)*n).
// The polynomial does not know its moduli; its owner (plaintext, ciphertext, key) does.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "ckks/modarith.hpp"
#include "util/hash.hpp"

namespace hepex::ckks {

template <class T, std::size_t Align = 64>
struct AlignedAllocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = AlignedAllocator<U, Align>;
  };
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U, Align>&) {}
  T* allocate(std::size_t count) {
    return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{Align}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{Align}); }
  template <class U>
  bool operator==(const AlignedAllocator<U, Align>&) const { return true; }
};

// The same allocation, but `resize(n)` / `vector(n)` leave new elements default-initialized (for u64:
// not written). Big scratch and output buffers are overwritten anyway; zero-filling them first doubled
// their memory traffic.
template <class T, std::size_t Align = 64>
struct UninitAllocator : AlignedAllocator<T, Align> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U, Align>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U, Align>&) {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// Growable per-thread scratch memory that keeps its allocation between calls.
using ScratchBuffer = std::vector<std::uint64_t, UninitAllocator<std::uint64_t>>;

class RnsPoly {
 public:
  RnsPoly() = default;
  // n coefficients per limb, `limbs` limbs, all zero.
  RnsPoly(std::size_t n, std::size_t limbs) : n_(n), limbs_(limbs), data_(n * limbs, 0) {}
  // n coefficients per limb, `limbs` limbs, contents unspecified (for outputs that are fully overwritten).
  static RnsPoly uninitialized(std::size_t n, std::size_t limbs) {
    RnsPoly p;
    p.n_ = n;
    p.limbs_ = limbs;
    p.data_.resize(n * limbs);
    return p;
  }

  std::size_t n() const { return n_; }
  std::size_t limbs() const { return limbs_; }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

  u64* data() { return data_.data(); }
  const u64* data() const { return data_.data(); }
  u64* limb(std::size_t j) { return data_.data() + j * n_; }
  const u64* limb(std::size_t j) const { return data_.data() + j * n_; }

  // Overwrites every word with zero in a way the compiler keeps (secret material going away).
  void wipe() { secure_wipe(data_.data(), data_.size() * sizeof(u64)); }

  // Keeps the first `limbs` limbs (dropping moduli from the top of the chain).
  void truncate(std::size_t limbs) {
    if (limbs < limbs_) {
      data_.resize(limbs * n_);
      limbs_ = limbs;
    }
  }
  // A copy of limbs [0, limbs).
  RnsPoly prefix(std::size_t limbs) const {
    RnsPoly p(n_, 0);
    p.limbs_ = limbs;
    p.data_.assign(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(limbs * n_));
    return p;
  }

  bool operator==(const RnsPoly& o) const { return n_ == o.n_ && limbs_ == o.limbs_ && data_ == o.data_; }

 private:
  std::size_t n_ = 0, limbs_ = 0;
  std::vector<u64, UninitAllocator<u64>> data_;
};

}  // namespace hepex::ckks
