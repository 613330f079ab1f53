#include "infer/client.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "backend/backend.hpp"

#include "tile/matmul.hpp"
#include "tile/ops.hpp"
#include "tile/pack.hpp"

namespace hepex::infer {

tile::TileTensorShape plan_input_shape(const Plan& plan) {
  return tile::input_shape(plan.input_size, plan.batch, plan.tile_sizes(), tile::Orientation::kTransposed,
                           plan.batch_layout);
}

tile::TileTensorShape plan_output_shape(const Plan& plan) {
  const auto o = plan.layers.back().transposed ? tile::Orientation::kTransposed : tile::Orientation::kRows;
  const auto shape = tile::output_shape(plan.output_size, plan.batch, plan.tile_sizes(), o, plan.batch_layout);
  return plan.layers.back().clear_output ? tile::cleared_shape(shape) : shape;
}

tile::Tensor input_tensor(const Plan& plan, const std::vector<double>& samples, std::size_t count) {
  const std::size_t n = plan.input_size, B = plan.batch;
  if (count > B)
    throw InvalidArgument("client: " + std::to_string(count) + " samples exceed the plan's batch of " + std::to_string(B));
  if (samples.size() != count * n)
    throw MismatchError("client: " + std::to_string(samples.size()) + " values given for " + std::to_string(count) +
                        " samples of " + std::to_string(n) + " features (the plan's input width)");
  // Model-order n x B matrix: x[i * B + b] = sample b, original feature input_perm[i].
  std::vector<double> x(n * B, 0.0);
  for (std::size_t b = 0; b < count; ++b)
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t src = plan.input_perm.empty() ? i : plan.input_perm[i];
      x[i * B + b] = samples[b * n + src];
    }
  return tile::input_tensor(x, n, B, 3, tile::Orientation::kTransposed);
}

tile::CipherTileTensor encrypt_input(const backend::Backend& be, const Plan& plan, const std::vector<double>& samples,
                                     std::size_t count) {
  return tile::pack_encrypted(be, input_tensor(plan, samples, count), plan_input_shape(plan), be.max_level(),
                              be.default_scale(), plan_input_tiles_sent(plan));
}

std::vector<bool> plan_input_tiles_sent(const Plan& plan) {
  const auto shape = plan_input_shape(plan);
  std::vector<bool> sent(shape.tile_count(), true);
  for (std::size_t i = 0; i < sent.size(); ++i)
    sent[i] = !std::binary_search(plan.unread_input_rows.begin(), plan.unread_input_rows.end(), shape.grid_position(i)[0]);
  return sent;
}

std::vector<double> output_samples(const Plan& plan, const tile::Tensor& y, std::size_t count) {
  const std::size_t m = plan.output_size, B = plan.batch;
  if (count > B) throw InvalidArgument("client: " + std::to_string(count) + " samples exceed the batch of " + std::to_string(B));
  if (y.size() != m * B) throw MismatchError("client: the output tensor does not have the plan's output shape");
  // y is m x B row-major in model order ((1, m, B) or (m, 1, B)).
  std::vector<double> out(count * m);
  for (std::size_t b = 0; b < count; ++b)
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t dst = plan.output_perm.empty() ? i : plan.output_perm[i];
      out[b * m + dst] = y.data()[i * B + b];
    }
  return out;
}

double output_limit(const Plan& plan) {
  return std::ldexp(1.0, plan.ckks.data_bits.at(0) - plan.ckks.scale_bits - 4);
}

std::vector<double> decrypt_output(const backend::Backend& be, const Plan& plan, const tile::CipherTileTensor& y,
                                   std::size_t count) {
  if (!(y.shape() == plan_output_shape(plan)))
    throw MismatchError("client: output ciphertexts have tile shape " + y.shape().to_string() + ", the plan gives " +
                        plan_output_shape(plan).to_string());
  const int level = plan.layers.back().level_out;
  const double scale = std::ldexp(1.0, plan.ckks.scale_bits);
  for (std::size_t i = 0; i < y.tile_count(); ++i) {
    const auto& t = y.tile(i);
    if (be.size(t) != 2 || be.level(t) != level || !backend::scales_match(be.scale(t), scale))
      throw MismatchError("client: output ciphertext " + std::to_string(i) + " is a " + std::to_string(be.size(t)) +
                          "-part ciphertext at level " + std::to_string(be.level(t)) + ", scale 2^" +
                          std::to_string(std::log2(be.scale(t))) + "; the plan promises 2 parts at level " +
                          std::to_string(level) + ", scale 2^" + std::to_string(plan.ckks.scale_bits) +
                          " (refused: decrypting what the server chose can leak the secret key)");
  }
  auto out = output_samples(plan, tile::unpack(be, y), count);
  const double limit = output_limit(plan);
  for (std::size_t k = 0; k < out.size(); ++k)
    if (!(std::abs(out[k]) <= limit))
      throw FormatError("client: decrypted output " + std::to_string(k / plan.output_size) + "," +
                        std::to_string(k % plan.output_size) + " is " + std::to_string(out[k]) +
                        ", beyond anything the plan's parameters carry (" + std::to_string(limit) +
                        "): the ciphertexts are corrupted or not encrypted under this key set");
  return out;
}

}  // namespace hepex::infer
