#pragma once
// Exact operation accounting, shared by the simulator and by CountingBackend (which wraps any backend,
// the real CKKS one included), so both count by the same rules:
//   - a rotation by a non-zero step (mod slots) is one rotation = one key switch with its own
//     decomposition (ModUp); a rotation by 0 is free and not counted;
//   - a hoisted multi-rotation counts one hoisted call, one rotation + one key switch per non-zero step,
//     and a single decomposition shared by all of them;
//   - relinearize is one key switch with one decomposition.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <span>
#include <string>

namespace hepex::backend {

enum class Op : std::size_t {
  kEncode,
  kDecode,
  kEncrypt,
  kDecrypt,
  kAdd,            // ct + ct
  kAddPlain,       // ct + pt
  kSub,            // ct - ct
  kSubPlain,       // ct - pt
  kMultiply,       // ct * ct (not counting squares)
  kSquare,         // ct * ct with the same operand
  kMultiplyPlain,  // ct * pt
  kMultiplyConst,  // ct * scalar
  kRelinearize,
  kRescale,
  kDropLevel,      // modulus switch without division
  kRotate,         // one per rotated ciphertext produced (non-zero step), hoisted or not
  kHoistedRotate,  // calls of the hoisted multi-rotation
  kKeySwitch,      // relinearizations + rotations
  kDecompose,      // key-switch decompositions (ModUp): hoisting shares one among several rotations
  kCount_
};
inline constexpr std::size_t kOpKinds = static_cast<std::size_t>(Op::kCount_);

const char* op_name(Op op);

// A snapshot of counts, one per Op.
struct OpCounts {
  std::array<std::uint64_t, kOpKinds> n{};

  std::uint64_t operator[](Op op) const { return n[static_cast<std::size_t>(op)]; }
  std::uint64_t& operator[](Op op) { return n[static_cast<std::size_t>(op)]; }
  OpCounts& operator+=(const OpCounts& o);
  OpCounts operator-(const OpCounts& o) const;  // counts done between two snapshots
  bool operator==(const OpCounts&) const = default;
  // "multiply_plain=12 rotate=6 ..." (non-zero kinds only).
  std::string to_string() const;
};

// Thread-safe counter applying the rules above.
class OpCounter {
 public:
  explicit OpCounter(std::size_t slot_count) : slots_(slot_count) {}

  void count(Op op, std::uint64_t times = 1) { n_[static_cast<std::size_t>(op)] += times; }
  void count_rotation(int step);
  void count_hoisted_rotation(std::span<const int> steps);
  void count_relinearize();
  // A fused sum of `products` plaintext products (Backend::multiply_plain_sums): counted as its per-tile
  // path, `products` multiply_plain and products - 1 add.
  void count_product_sum(std::uint64_t products);

  OpCounts snapshot() const;
  // The distinct left-rotation steps used, normalized to (0, slots): the Galois keys a plan needs.
  std::set<int> rotation_steps() const;
  void reset();

  // step normalized to [0, slots).
  int normalize_step(int step) const;

 private:
  std::size_t slots_;
  std::array<std::atomic<std::uint64_t>, kOpKinds> n_{};
  mutable std::mutex steps_mutex_;
  std::set<int> steps_;
};

}  // namespace hepex::backend
