#include "backend/backend.hpp"

#include <string>

#include "ckks/compact_plaintext.hpp"
#include "util/error.hpp"

namespace hepex::backend {

std::vector<std::size_t> product_sum_pairs(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                           std::size_t terms, const char* who) {
  if (cts.size() != pts.size())
    throw InvalidArgument(std::string(who) + ": " + std::to_string(cts.size()) + " ciphertexts but " +
                          std::to_string(pts.size()) + " plaintexts");
  if (terms == 0 || cts.size() % terms != 0)
    throw InvalidArgument(std::string(who) + ": " + std::to_string(cts.size()) + " pairs do not split into sums of " +
                          std::to_string(terms) + " terms");
  std::vector<std::size_t> pairs(cts.size() / terms, 0);
  for (std::size_t i = 0; i < cts.size(); ++i)
    if (!cts[i].empty() && !pts[i].empty()) ++pairs[i / terms];
  return pairs;
}

void Backend::add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                                     std::span<const Plaintext> pts, std::size_t terms) const {
  std::vector<Ciphertext> part = multiply_plain_sums(cts, pts, terms);
  if (part.size() != sums.size())
    throw InvalidArgument("add_plain_product_sums: " + std::to_string(sums.size()) + " running sums for " +
                          std::to_string(part.size()) + " product sums");
  for (std::size_t j = 0; j < sums.size(); ++j) {
    if (part[j].empty()) continue;
    if (sums[j].empty()) sums[j] = std::move(part[j]);
    else add_inplace(sums[j], part[j]);
  }
}

Ciphertext Backend::rotate_sum(const Ciphertext& a, std::span<const int> steps) const {
  if (steps.empty()) throw InvalidArgument("rotate_sum: no steps");
  std::vector<Ciphertext> rotated = rotate_many(a, steps);
  Ciphertext sum = rotated[0];
  for (std::size_t i = 1; i < rotated.size(); ++i) add_inplace(sum, rotated[i]);
  return sum;
}

std::size_t compact_period(std::span<const double> values, std::size_t slots) {
  const std::size_t p = ckks::slot_period(values, slots);
  return p * 4 <= slots ? p : 0;
}

}  // namespace hepex::backend
