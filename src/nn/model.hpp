#pragma once
// A dense network: a list of layers plus the permutations of its input and output.
//
// Permutations (filled by pruning, applied by the client in the clear): the layers work on vectors in
// "model order". Position i of the model's input holds original feature input_perm[i]; position i of the
// model's output holds original output output_perm[i]. Empty = identity.
//   forward(x)      takes and returns original order (applies both permutations): the network's function.
//   forward_model() works in model order (what the HE evaluator computes).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nn/arch.hpp"
#include "nn/dense_layer.hpp"
#include "util/csprng.hpp"

namespace hepex::nn {

using Permutation = std::vector<std::uint32_t>;

class Model {
 public:
  Model() = default;
  // Layers of the given widths/activations with zero weights and no masks.
  explicit Model(const ArchSpec& spec);
  static Model from_arch(std::string_view arch) { return Model(parse_arch(arch)); }

  // Glorot/Xavier uniform weights, U(-l, l) with l = sqrt(6 / (in + out)), zero biases; masked weights 0.
  void init_glorot(Csprng& rng);

  std::vector<DenseLayer>& layers() { return layers_; }
  const std::vector<DenseLayer>& layers() const { return layers_; }
  Eigen::Index input_size() const;
  Eigen::Index output_size() const;
  ArchSpec arch() const;
  std::string arch_string() const { return format_arch(arch()); }
  std::size_t parameter_count() const;
  // True when every activation is a polynomial (the model can run under HE).
  bool he_friendly() const;

  const Permutation& input_perm() const { return input_perm_; }
  const Permutation& output_perm() const { return output_perm_; }
  // Validated: empty, or a permutation of 0..n-1 with n the input (output) width.
  void set_input_perm(Permutation p);
  void set_output_perm(Permutation p);
  // Original-order samples (rows) -> model order, and back, for inputs and outputs respectively.
  RowMatrix permute_input(const RowMatrix& x) const;
  RowMatrix unpermute_output(const RowMatrix& y) const;
  // Original-order targets (rows) -> model output order (the trainer compares in model order).
  RowMatrix permute_target(const RowMatrix& t) const;

  // Batch of samples in rows, original order in and out.
  RowMatrix forward(const RowMatrix& x) const;
  // Batch of samples in rows, model order in and out.
  RowMatrix forward_model(const RowMatrix& x) const;
  // The layers on a column batch (features x batch, model order), in place; z is scratch space.
  void forward_columns(Matrix& a, Matrix& z) const;

  // The data set the model was trained on (nn::canonical_data_name: "mnist", "fashion-mnist" or a directory),
  // recorded in the model file; empty = unknown (files written before the field existed).
  const std::string& data_set() const { return data_set_; }
  void set_data_set(std::string name) { data_set_ = std::move(name); }
  // Denoising autoencoders: the sigma of the Gaussian noise on the inputs it was trained with (0: none),
  // recorded in the model file so that eval and prune test it on the same task.
  float input_noise() const { return input_noise_; }
  void set_input_noise(float sigma);

  // Throws InvalidArgument if widths of consecutive layers, bias/mask shapes or permutations disagree.
  void validate() const;

  // Versioned binary file (io::ObjectType::kModel); exact (bitwise) round trip. Throws IoError/FormatError
  // naming the file.
  void save(const std::string& path) const;
  static Model load(const std::string& path);
  // The same format in memory (tests, embedding in other files).
  std::vector<std::uint8_t> serialize() const;
  static Model deserialize(std::vector<std::uint8_t> bytes, const std::string& name);

 private:
  std::vector<DenseLayer> layers_;
  Permutation input_perm_;
  Permutation output_perm_;
  std::string data_set_;
  float input_noise_ = 0.f;
};

}  // namespace hepex::nn
