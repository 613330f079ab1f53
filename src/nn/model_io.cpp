// Model file, after the common hepex header (type kModel, parameter hash 0):
//   u32 model schema (3; 1 and 2 are read too) | u32 layer count
//   per layer: u32 in | u32 out | u32 activation kind | u8 trainable | f32 a, b, c
//              f32 W[out][in] (row-major) | f32 b[out] | u8 has_mask | (if has_mask) u8 mask[out][in] in {0,1}
//   u64 n + u32[n] input permutation | u64 n + u32[n] output permutation   (n = 0: identity)
//   schema >= 2: u64 n + n bytes, the training data set's name (n = 0: unknown; schema 1 files read so)
//   schema 3:    f32 input noise sigma of a denoising model (0: none; older files read so)
// Every length is checked against the architecture and the bytes left before anything is allocated.
#include <cmath>

#include "io/binary.hpp"
#include "nn/model.hpp"

namespace hepex::nn {
namespace {

constexpr std::uint32_t kModelSchema = 3;
constexpr std::uint32_t kOldestModelSchema = 1;  // before the training data set was recorded
constexpr std::uint64_t kMaxDataSetName = 4096;
constexpr std::uint32_t kMaxLayers = 4096;
constexpr std::uint32_t kMaxWidth = 1u << 20;

void write_matrix_rows(io::BinaryWriter& w, const Matrix& m) {
  const RowMatrix r = m;  // row-major on disk, whatever the in-memory order
  w.write_bytes(r.data(), std::size_t(r.size()) * sizeof(float));
}

Matrix read_matrix_rows(io::BinaryReader& r, Eigen::Index rows, Eigen::Index cols, const std::string& what) {
  const std::size_t bytes = std::size_t(rows) * std::size_t(cols) * sizeof(float);
  if (bytes > r.remaining()) r.fail(what + " (" + std::to_string(rows) + " x " + std::to_string(cols) + ") is truncated");
  RowMatrix m(rows, cols);
  r.read_bytes(m.data(), bytes);
  return m;
}

void write_perm(io::BinaryWriter& w, const Permutation& p) { w.write_vector(p); }

Permutation read_perm(io::BinaryReader& r, Eigen::Index n, const char* what) {
  auto p = r.read_vector<std::uint32_t>(std::uint64_t(n));
  if (!p.empty() && Eigen::Index(p.size()) != n)
    r.fail(std::string(what) + " permutation has " + std::to_string(p.size()) + " entries, expected " + std::to_string(n));
  return p;
}

}  // namespace

std::vector<std::uint8_t> Model::serialize() const {
  validate();
  io::BinaryWriter w;
  w.write_header({io::kFormatVersion, io::ObjectType::kModel, 0});
  w.write<std::uint32_t>(kModelSchema);
  w.write<std::uint32_t>(std::uint32_t(layers_.size()));
  for (const auto& L : layers_) {
    w.write<std::uint32_t>(std::uint32_t(L.in()));
    w.write<std::uint32_t>(std::uint32_t(L.out()));
    w.write<std::uint32_t>(static_cast<std::uint32_t>(L.act.kind));
    w.write<std::uint8_t>(L.act.trainable ? 1 : 0);
    for (const float c : L.act.poly) w.write<float>(c);
    write_matrix_rows(w, L.W);
    w.write_bytes(L.b.data(), std::size_t(L.b.size()) * sizeof(float));
    w.write<std::uint8_t>(L.has_mask() ? 1 : 0);
    if (L.has_mask()) {
      const RowMatrix m = L.mask;
      std::vector<std::uint8_t> bits(std::size_t(m.size()));
      for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = m.data()[i] != 0.f ? 1 : 0;
      w.write_bytes(bits.data(), bits.size());
    }
  }
  write_perm(w, input_perm_);
  write_perm(w, output_perm_);
  w.write_string(data_set_);
  w.write<float>(input_noise_);
  return w.bytes();
}

Model Model::deserialize(std::vector<std::uint8_t> bytes, const std::string& name) {
  io::BinaryReader r(std::move(bytes), name);
  r.read_header(io::ObjectType::kModel);
  const auto schema = r.read<std::uint32_t>();
  if (schema < kOldestModelSchema || schema > kModelSchema)
    r.fail("model schema " + std::to_string(schema) + " is not supported (this build reads " +
           std::to_string(kOldestModelSchema) + " to " + std::to_string(kModelSchema) + ")");
  const auto count = r.read<std::uint32_t>();
  if (count == 0 || count > kMaxLayers) r.fail("layer count " + std::to_string(count) + " is invalid");

  Model model;
  for (std::uint32_t l = 0; l < count; ++l) {
    const std::string where = "layer " + std::to_string(l);
    const auto in = r.read<std::uint32_t>();
    const auto out = r.read<std::uint32_t>();
    if (in == 0 || out == 0 || in > kMaxWidth || out > kMaxWidth)
      r.fail(where + " has invalid widths " + std::to_string(in) + " x " + std::to_string(out));
    if (l > 0 && in != model.layers_.back().out())
      r.fail(where + " input width " + std::to_string(in) + " differs from the previous layer's output " +
             std::to_string(model.layers_.back().out()));
    DenseLayer L;
    const auto kind = r.read<std::uint32_t>();
    if (kind > static_cast<std::uint32_t>(ActivationKind::kSigmoid))
      r.fail(where + " has unknown activation kind " + std::to_string(kind));
    L.act.kind = static_cast<ActivationKind>(kind);
    const auto trainable = r.read<std::uint8_t>();
    if (trainable > 1) r.fail(where + " has an invalid trainable flag");
    L.act.trainable = trainable == 1;
    for (float& c : L.act.poly) c = r.read<float>();
    L.W = read_matrix_rows(r, out, in, where + " weights");
    L.b = read_matrix_rows(r, out, 1, where + " bias");
    const auto has_mask = r.read<std::uint8_t>();
    if (has_mask > 1) r.fail(where + " has an invalid mask flag");
    if (has_mask) {
      const std::size_t n = std::size_t(in) * out;
      if (n > r.remaining()) r.fail(where + " mask is truncated");
      std::vector<std::uint8_t> bits(n);
      r.read_bytes(bits.data(), n);
      RowMatrix m(out, in);
      for (std::size_t i = 0; i < n; ++i) {
        if (bits[i] > 1) r.fail(where + " mask holds a value other than 0 or 1");
        m.data()[i] = float(bits[i]);
      }
      L.mask = m;
    }
    model.layers_.push_back(std::move(L));
  }
  model.input_perm_ = read_perm(r, model.input_size(), "input");
  model.output_perm_ = read_perm(r, model.output_size(), "output");
  if (schema >= 2) model.data_set_ = r.read_string(kMaxDataSetName);
  if (schema >= 3) {
    const float noise = r.read<float>();
    if (!(noise >= 0.f && std::isfinite(noise))) r.fail("input noise sigma " + std::to_string(noise) + " is invalid");
    model.input_noise_ = noise;
  }
  r.expect_end();
  try {
    model.validate();
  } catch (const InvalidArgument& e) {
    r.fail(e.what());
  }
  return model;
}

void Model::save(const std::string& path) const {
  io::BinaryWriter w;
  const auto bytes = serialize();
  w.write_bytes(bytes.data(), bytes.size());
  w.save(path);
}

Model Model::load(const std::string& path) { return deserialize(io::read_hepex_file(path), path); }

}  // namespace hepex::nn
