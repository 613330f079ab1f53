#include "backend/op_counts.hpp"

#include <sstream>

namespace hepex::backend {

const char* op_name(Op op) {
  switch (op) {
    case Op::kEncode: return "encode";
    case Op::kDecode: return "decode";
    case Op::kEncrypt: return "encrypt";
    case Op::kDecrypt: return "decrypt";
    case Op::kAdd: return "add";
    case Op::kAddPlain: return "add_plain";
    case Op::kSub: return "sub";
    case Op::kSubPlain: return "sub_plain";
    case Op::kMultiply: return "multiply";
    case Op::kSquare: return "square";
    case Op::kMultiplyPlain: return "multiply_plain";
    case Op::kMultiplyConst: return "multiply_const";
    case Op::kRelinearize: return "relinearize";
    case Op::kRescale: return "rescale";
    case Op::kDropLevel: return "drop_level";
    case Op::kRotate: return "rotate";
    case Op::kHoistedRotate: return "hoisted_rotate";
    case Op::kKeySwitch: return "key_switch";
    case Op::kDecompose: return "decompose";
    case Op::kCount_: break;
  }
  return "unknown";
}

OpCounts& OpCounts::operator+=(const OpCounts& o) {
  for (std::size_t i = 0; i < kOpKinds; ++i) n[i] += o.n[i];
  return *this;
}

OpCounts OpCounts::operator-(const OpCounts& o) const {
  OpCounts d;
  for (std::size_t i = 0; i < kOpKinds; ++i) d.n[i] = n[i] - o.n[i];
  return d;
}

std::string OpCounts::to_string() const {
  std::ostringstream s;
  bool first = true;
  for (std::size_t i = 0; i < kOpKinds; ++i) {
    if (n[i] == 0) continue;
    s << (first ? "" : " ") << op_name(static_cast<Op>(i)) << '=' << n[i];
    first = false;
  }
  return s.str();
}

int OpCounter::normalize_step(int step) const {
  const auto m = static_cast<long long>(slots_);
  return static_cast<int>(((static_cast<long long>(step) % m) + m) % m);
}

void OpCounter::count_rotation(int step) {
  const int s = normalize_step(step);
  if (s == 0) return;
  count(Op::kRotate);
  count(Op::kKeySwitch);
  count(Op::kDecompose);
  std::lock_guard lock(steps_mutex_);
  steps_.insert(s);
}

void OpCounter::count_hoisted_rotation(std::span<const int> steps) {
  count(Op::kHoistedRotate);
  std::uint64_t rotated = 0;
  std::lock_guard lock(steps_mutex_);
  for (int step : steps) {
    const int s = normalize_step(step);
    if (s == 0) continue;
    ++rotated;
    steps_.insert(s);
  }
  count(Op::kRotate, rotated);
  count(Op::kKeySwitch, rotated);
  if (rotated > 0) count(Op::kDecompose);
}

void OpCounter::count_relinearize() {
  count(Op::kRelinearize);
  count(Op::kKeySwitch);
  count(Op::kDecompose);
}

void OpCounter::count_product_sum(std::uint64_t products) {
  if (products == 0) return;
  count(Op::kMultiplyPlain, products);
  count(Op::kAdd, products - 1);
}

OpCounts OpCounter::snapshot() const {
  OpCounts c;
  for (std::size_t i = 0; i < kOpKinds; ++i) c.n[i] = n_[i].load();
  return c;
}

std::set<int> OpCounter::rotation_steps() const {
  std::lock_guard lock(steps_mutex_);
  return steps_;
}

void OpCounter::reset() {
  for (auto& a : n_) a = 0;
  std::lock_guard lock(steps_mutex_);
  steps_.clear();
}

}  // namespace hepex::backend
