#pragma once
// CountingBackend: wraps any backend (the real CKKS one included) and counts the operations that pass
// through it by the same rules as the simulator (op_counts.hpp). Used to report what an executor step did
// without depending on which backend runs it.
#include "backend/backend.hpp"
#include "backend/op_counts.hpp"

namespace hepex::backend {

class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(const Backend& inner) : inner_(inner), counter_(inner.slot_count()) {}

  OpCounts counts() const { return counter_.snapshot(); }
  std::set<int> rotation_steps() const { return counter_.rotation_steps(); }
  const Backend& inner() const { return inner_; }

  std::size_t slot_count() const override { return inner_.slot_count(); }
  int max_level() const override { return inner_.max_level(); }
  double default_scale() const override { return inner_.default_scale(); }
  double modulus_at(int level) const override { return inner_.modulus_at(level); }

  Plaintext encode(std::span<const double> values, int level, double scale) const override;
  std::vector<double> decode(const Plaintext& pt) const override;
  Ciphertext encrypt(const Plaintext& pt) const override;
  std::vector<double> decrypt(const Ciphertext& ct) const override;

  int level(const Ciphertext& ct) const override { return inner_.level(ct); }
  double scale(const Ciphertext& ct) const override { return inner_.scale(ct); }
  int size(const Ciphertext& ct) const override { return inner_.size(ct); }
  int level(const Plaintext& pt) const override { return inner_.level(pt); }
  double scale(const Plaintext& pt) const override { return inner_.scale(pt); }
  std::size_t byte_size(const Ciphertext& ct) const override { return inner_.byte_size(ct); }
  std::size_t byte_size(const Plaintext& pt) const override { return inner_.byte_size(pt); }

  Ciphertext add(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext add_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext sub_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext square(const Ciphertext& a) const override;
  Ciphertext relinearize(const Ciphertext& a) const override;
  Ciphertext multiply_const(const Ciphertext& a, double value, double const_scale) const override;
  Ciphertext rescale(const Ciphertext& a) const override;
  Ciphertext drop_to_level(const Ciphertext& a, int level) const override;
  Ciphertext rotate(const Ciphertext& a, int step) const override;
  std::vector<Ciphertext> rotate_many(const Ciphertext& a, std::span<const int> steps) const override;
  Ciphertext rotate_sum(const Ciphertext& a, std::span<const int> steps) const override;
  std::vector<Ciphertext> multiply_plain_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                              std::size_t terms) const override;
  void add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                              std::span<const Plaintext> pts, std::size_t terms) const override;
  void add_inplace(Ciphertext& a, const Ciphertext& b) const override;
  void add_plain_inplace(Ciphertext& a, const Plaintext& b) const override;
  void multiply_plain_inplace(Ciphertext& a, const Plaintext& b) const override;
  void rescale_inplace(Ciphertext& a) const override;
  void add_rotated_inplace(Ciphertext& a, int step) const override;

 private:
  const Backend& inner_;
  mutable OpCounter counter_;
};

}  // namespace hepex::backend
