#include "backend/counting_backend.hpp"

namespace hepex::backend {

// Each call is forwarded first, so a refused operation is not counted.

Plaintext CountingBackend::encode(std::span<const double> values, int level, double scale) const {
  auto r = inner_.encode(values, level, scale);
  counter_.count(Op::kEncode);
  return r;
}
std::vector<double> CountingBackend::decode(const Plaintext& pt) const {
  auto r = inner_.decode(pt);
  counter_.count(Op::kDecode);
  return r;
}
Ciphertext CountingBackend::encrypt(const Plaintext& pt) const {
  auto r = inner_.encrypt(pt);
  counter_.count(Op::kEncrypt);
  return r;
}
std::vector<double> CountingBackend::decrypt(const Ciphertext& ct) const {
  auto r = inner_.decrypt(ct);
  counter_.count(Op::kDecrypt);
  return r;
}

Ciphertext CountingBackend::add(const Ciphertext& a, const Ciphertext& b) const {
  auto r = inner_.add(a, b);
  counter_.count(Op::kAdd);
  return r;
}
Ciphertext CountingBackend::add_plain(const Ciphertext& a, const Plaintext& b) const {
  auto r = inner_.add_plain(a, b);
  counter_.count(Op::kAddPlain);
  return r;
}
Ciphertext CountingBackend::sub(const Ciphertext& a, const Ciphertext& b) const {
  auto r = inner_.sub(a, b);
  counter_.count(Op::kSub);
  return r;
}
Ciphertext CountingBackend::sub_plain(const Ciphertext& a, const Plaintext& b) const {
  auto r = inner_.sub_plain(a, b);
  counter_.count(Op::kSubPlain);
  return r;
}
Ciphertext CountingBackend::multiply_plain(const Ciphertext& a, const Plaintext& b) const {
  auto r = inner_.multiply_plain(a, b);
  counter_.count(Op::kMultiplyPlain);
  return r;
}
Ciphertext CountingBackend::multiply(const Ciphertext& a, const Ciphertext& b) const {
  auto r = inner_.multiply(a, b);
  counter_.count(Op::kMultiply);
  return r;
}
Ciphertext CountingBackend::square(const Ciphertext& a) const {
  auto r = inner_.square(a);
  counter_.count(Op::kSquare);
  return r;
}
Ciphertext CountingBackend::relinearize(const Ciphertext& a) const {
  const bool needed = inner_.size(a) > 2;
  auto r = inner_.relinearize(a);
  if (needed) counter_.count_relinearize();
  return r;
}
Ciphertext CountingBackend::multiply_const(const Ciphertext& a, double value, double const_scale) const {
  auto r = inner_.multiply_const(a, value, const_scale);
  counter_.count(Op::kMultiplyConst);
  return r;
}
Ciphertext CountingBackend::rescale(const Ciphertext& a) const {
  auto r = inner_.rescale(a);
  counter_.count(Op::kRescale);
  return r;
}
Ciphertext CountingBackend::drop_to_level(const Ciphertext& a, int level) const {
  const bool needed = level != inner_.level(a);
  auto r = inner_.drop_to_level(a, level);
  if (needed) counter_.count(Op::kDropLevel);
  return r;
}
Ciphertext CountingBackend::rotate(const Ciphertext& a, int step) const {
  auto r = inner_.rotate(a, step);
  counter_.count_rotation(step);
  return r;
}
std::vector<Ciphertext> CountingBackend::rotate_many(const Ciphertext& a, std::span<const int> steps) const {
  auto r = inner_.rotate_many(a, steps);
  counter_.count_hoisted_rotation(steps);
  return r;
}

Ciphertext CountingBackend::rotate_sum(const Ciphertext& a, std::span<const int> steps) const {
  auto r = inner_.rotate_sum(a, steps);
  counter_.count_hoisted_rotation(steps);
  counter_.count(Op::kAdd, steps.size() - 1);
  return r;
}

std::vector<Ciphertext> CountingBackend::multiply_plain_sums(std::span<const Ciphertext> cts,
                                                             std::span<const Plaintext> pts, std::size_t terms) const {
  auto r = inner_.multiply_plain_sums(cts, pts, terms);
  for (std::size_t pairs : product_sum_pairs(cts, pts, terms, "CountingBackend::multiply_plain_sums"))
    counter_.count_product_sum(pairs);
  return r;
}
void CountingBackend::add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                                             std::span<const Plaintext> pts, std::size_t terms) const {
  const auto pairs = product_sum_pairs(cts, pts, terms, "CountingBackend::add_plain_product_sums");
  std::vector<bool> running(sums.size());
  for (std::size_t j = 0; j < sums.size(); ++j) running[j] = !sums[j].empty();
  inner_.add_plain_product_sums(sums, cts, pts, terms);
  // As multiply_plain_sums and one add into each running sum that got products.
  for (std::size_t j = 0; j < pairs.size(); ++j) {
    counter_.count_product_sum(pairs[j]);
    if (pairs[j] > 0 && running[j]) counter_.count(Op::kAdd);  // sizes agree: inner_ checked them
  }
}
void CountingBackend::add_inplace(Ciphertext& a, const Ciphertext& b) const {
  inner_.add_inplace(a, b);
  counter_.count(Op::kAdd);
}
void CountingBackend::add_plain_inplace(Ciphertext& a, const Plaintext& b) const {
  inner_.add_plain_inplace(a, b);
  counter_.count(Op::kAddPlain);
}
void CountingBackend::multiply_plain_inplace(Ciphertext& a, const Plaintext& b) const {
  inner_.multiply_plain_inplace(a, b);
  counter_.count(Op::kMultiplyPlain);
}
void CountingBackend::add_rotated_inplace(Ciphertext& a, int step) const {
  inner_.add_rotated_inplace(a, step);
  counter_.count_rotation(step);
  counter_.count(Op::kAdd);
}
void CountingBackend::rescale_inplace(Ciphertext& a) const {
  inner_.rescale_inplace(a);
  counter_.count(Op::kRescale);
}

}  // namespace hepex::backend
