#include "infer/compiled.hpp"

#include <cmath>
#include <string>

#include "util/error.hpp"

namespace hepex::infer {

namespace {

bool power_of_two(std::size_t t) { return t != 0 && (t & (t - 1)) == 0; }

// f(z) for the activation coefficients {c0, c1, c2}.
double poly(const std::array<double, 3>& c, double z) { return c[0] + z * (c[1] + z * c[2]); }

void find_dead_rows(CompiledLayer& L) {
  const std::size_t rows = (L.out() + L.out_tile - 1) / L.out_tile;
  const std::size_t cols = (L.in() + L.in_tile - 1) / L.in_tile;
  L.dead_tile_rows.assign(rows, true);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols && L.dead_tile_rows[r]; ++c)
      if (L.tile_present(r, c)) L.dead_tile_rows[r] = false;
}

}  // namespace

bool dense_tile_present(const tile::DenseMatrix& m, std::size_t rows, std::size_t cols, std::size_t r, std::size_t c) {
  const std::size_t i_end = std::min(m.rows, (r + 1) * rows), j_end = std::min(m.cols, (c + 1) * cols);
  for (std::size_t i = r * rows; i < i_end; ++i)
    for (std::size_t j = c * cols; j < j_end; ++j)
      if (m(i, j) != 0.0) return true;
  return false;
}

bool CompiledLayer::tile_present(std::size_t r, std::size_t c) const {
  return dense_tile_present(weights, out_tile, in_tile, r, c);
}

std::size_t CompiledLayer::product_tiles_kept() const {
  if (!input_copies) return tiles_kept();
  const tile::DenseMatrix w = product_weights();
  std::size_t n = 0;
  for (std::size_t r = 0; r < dead_tile_rows.size(); ++r)
    for (std::size_t c = 0; c * in_tile < w.cols; ++c) n += dense_tile_present(w, out_tile, in_tile, r, c) ? 1 : 0;
  return n;
}

bool CompiledLayer::column_read(std::size_t c) const {
  for (std::size_t r = 0; r < dead_tile_rows.size(); ++r)
    if (tile_present(r, c)) return true;
  return false;
}

tile::DenseMatrix CompiledLayer::product_weights() const {
  if (!input_copies) return weights;
  const std::size_t t = out_tile, column_tiles = (in() + in_tile - 1) / in_tile;
  tile::DenseMatrix w{out(), t * column_tiles * in_tile, {}};
  w.data.assign(w.rows * w.cols, 0.0);
  for (std::size_t i = 0; i < out(); ++i)
    for (std::size_t j = 0; j < in(); ++j) {
      const std::size_t c = j / in_tile, k = i % t;
      w.data[i * w.cols + (c * t + k) * in_tile + j % in_tile] = weights(i, j);
    }
  return w;
}

std::size_t CompiledLayer::tiles_total() const {
  return ((out() + out_tile - 1) / out_tile) * ((in() + in_tile - 1) / in_tile);
}

std::size_t CompiledLayer::tiles_kept() const {
  std::size_t n = 0;
  const std::size_t rows = (out() + out_tile - 1) / out_tile, cols = (in() + in_tile - 1) / in_tile;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) n += tile_present(r, c) ? 1 : 0;
  return n;
}

int CompiledNetwork::layer_depth(std::size_t l) const {
  const auto& L = layers.at(l);
  return 1 + (L.clear_and_duplicate ? 1 : 0) + (L.square ? 1 : 0) + (L.clear_output ? 1 : 0);
}

int CompiledNetwork::depth() const {
  int d = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) d += layer_depth(l);
  return d;
}

CompiledNetwork compile(const nn::Model& model, std::size_t t1, std::size_t t2, tile::BatchLayout layout,
                        const std::vector<bool>& in_next_weights) {
  if (!power_of_two(t1) || !power_of_two(t2))
    throw InvalidArgument("compile: tile sizes " + std::to_string(t1) + "x" + std::to_string(t2) +
                          " must be powers of two");
  model.validate();
  if (model.layers().empty()) throw InvalidArgument("compile: the model has no layers");
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    const auto& act = model.layers()[l].act;
    if (!act.he_friendly())
      throw InvalidArgument("compile: layer " + std::to_string(l) + " uses the activation '" + act.format() +
                            "', which has no exact HE evaluation; retrain with square or poly2 (HE-friendly)");
  }

  CompiledNetwork net;
  net.t1 = t1;
  net.t2 = t2;
  net.batch_layout = layout;
  const std::size_t count = model.layers().size();
  // Affine map of the previous layer's ciphertext outputs to its true outputs: true = scale * enc + offset.
  std::vector<double> in_scale, in_offset;
  std::vector<bool> in_dead;  // input neuron is a constant (its tile row was pruned away)
  for (std::size_t l = 0; l < count; ++l) {
    const auto& src = model.layers()[l];
    CompiledLayer L;
    const std::size_t out = static_cast<std::size_t>(src.out()), in = static_cast<std::size_t>(src.in());
    L.orientation = tile::chain_orientation(l);
    const auto extent = tile::weight_tile_extent(L.orientation, t1, t2);
    L.out_tile = extent.rows;
    L.in_tile = extent.cols;
    L.weights = {out, in, std::vector<double>(out * in)};
    L.bias.resize(out);
    if (in_scale.empty()) {
      in_scale.assign(in, 1.0);
      in_offset.assign(in, 0.0);
      in_dead.assign(in, false);
    }
    for (std::size_t i = 0; i < out; ++i) {
      double b = src.b(static_cast<Eigen::Index>(i));
      for (std::size_t j = 0; j < in; ++j) {
        const double w = src.W(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
        b += w * in_offset[j];
        L.weights.data[i * in + j] = in_dead[j] ? 0.0 : w * in_scale[j];
      }
      L.bias[i] = b;
    }

    const auto c = src.act.coefficients();
    double sigma = 1.0, offset = 0.0;
    if (c[2] == 0.0) {
      for (auto& w : L.weights.data) w *= c[1];
      for (auto& b : L.bias) b = c[1] * b + c[0];
    } else {
      const double s = std::sqrt(std::abs(c[2])), beta = c[1] / (2 * c[2]);
      sigma = c[2] > 0 ? 1.0 : -1.0;
      offset = c[0] - c[1] * c[1] / (4 * c[2]);
      for (auto& w : L.weights.data) w *= s;
      for (auto& b : L.bias) b = s * (b + beta);
      L.square = true;
    }
    find_dead_rows(L);

    const bool last = l + 1 == count;
    // Constants of dead neurons: f(b) on the folded bias (u^2 then sigma, offset for squares).
    auto dead_value = [&](std::size_t i) { return L.square ? sigma * L.bias[i] * L.bias[i] + offset : L.bias[i]; };
    in_scale.assign(out, sigma);
    in_offset.assign(out, offset);
    in_dead.assign(out, false);
    bool any_live = false;
    for (std::size_t r = 0; r < L.dead_tile_rows.size(); ++r) {
      any_live = any_live || !L.dead_tile_rows[r];
      if (!L.dead_tile_rows[r]) continue;
      for (std::size_t i = r * L.out_tile; i < std::min(out, (r + 1) * L.out_tile); ++i) {
        in_dead[i] = true;
        in_offset[i] = dead_value(i);
      }
    }
    if (!any_live)
      throw InvalidArgument("compile: every weight tile row of layer " + std::to_string(l) +
                            " is zero: the model's output does not depend on its input");
    // A sum over an inner slot dimension leaves unknowns along it (none when its tile is 1). Rows layers sum
    // over t2; transposed ones over t1, which is inner only with the batch outermost (tile/matmul.hpp:
    // BatchLayout).
    const bool inner_sum = L.orientation == tile::Orientation::kRows || layout == tile::BatchLayout::kOuter;
    const bool unknowns = inner_sum && L.in_tile > 1;
    if (last) {
      L.post_sign = sigma;
      L.post_offset = offset;
      for (bool d : L.dead_tile_rows) L.fill_dead_rows = L.fill_dead_rows || d;
      // The unknowns are sliding sums of weight x input products: more about the weights than the outputs
      // say. The client decrypts every slot, so they are zeroed before the result leaves the server.
      L.clear_output = unknowns;
    } else if (l < in_next_weights.size() && in_next_weights[l]) {
      L.unknowns_to_next = unknowns;  // the next layer's weights weigh them by zero
    } else {
      L.clear_and_duplicate = unknowns;  // clear them, then re-replicate for the next layer
    }
    L.input_copies = l > 0 && net.layers.back().unknowns_to_next;
    net.layers.push_back(std::move(L));
  }
  return net;
}

std::vector<double> forward_compiled(const CompiledNetwork& net, const std::vector<double>& x, std::size_t batch) {
  if (x.size() != batch * net.input_size())
    throw InvalidArgument("forward_compiled: " + std::to_string(x.size()) + " inputs for a batch of " +
                          std::to_string(batch) + " x " + std::to_string(net.input_size()));
  std::vector<double> cur = x;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const auto& L = net.layers[l];
    const bool last = l + 1 == net.layers.size();
    std::vector<double> next(batch * L.out());
    for (std::size_t s = 0; s < batch; ++s)
      for (std::size_t i = 0; i < L.out(); ++i) {
        double z = L.bias[i];
        for (std::size_t j = 0; j < L.in(); ++j) z += L.weights(i, j) * cur[s * L.in() + j];
        if (L.square) z = z * z;
        if (last) z = L.post_sign * z + L.post_offset;
        next[s * L.out() + i] = z;
      }
    cur = std::move(next);
  }
  return cur;
}

std::vector<double> forward_reference(const nn::Model& model, const std::vector<double>& x, std::size_t batch) {
  std::vector<double> cur = x;
  for (const auto& layer : model.layers()) {
    const auto in = static_cast<std::size_t>(layer.in()), out = static_cast<std::size_t>(layer.out());
    if (cur.size() != batch * in)
      throw InvalidArgument("forward_reference: " + std::to_string(cur.size()) + " values for a batch of " +
                            std::to_string(batch) + " x " + std::to_string(in));
    const auto c = layer.act.coefficients();
    std::vector<double> next(batch * out);
    for (std::size_t s = 0; s < batch; ++s)
      for (std::size_t i = 0; i < out; ++i) {
        double z = layer.b(static_cast<Eigen::Index>(i));
        for (std::size_t j = 0; j < in; ++j)
          z += double(layer.W(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))) * cur[s * in + j];
        next[s * out + i] = poly(c, z);
      }
    cur = std::move(next);
  }
  return cur;
}

std::vector<double> plain_outputs(const nn::Model& model, const std::vector<double>& samples, std::size_t count) {
  const auto n = static_cast<std::size_t>(model.input_size()), m = static_cast<std::size_t>(model.output_size());
  if (samples.size() != count * n)
    throw InvalidArgument("plain_outputs: " + std::to_string(samples.size()) + " values for " + std::to_string(count) +
                          " samples of " + std::to_string(n));
  const auto& ip = model.input_perm();
  const auto& op = model.output_perm();
  std::vector<double> x(samples.size());
  for (std::size_t b = 0; b < count; ++b)
    for (std::size_t i = 0; i < n; ++i) x[b * n + i] = samples[b * n + (ip.empty() ? i : ip[i])];
  const auto y = forward_reference(model, x, count);
  std::vector<double> out(y.size());
  for (std::size_t b = 0; b < count; ++b)
    for (std::size_t i = 0; i < m; ++i) out[b * m + (op.empty() ? i : op[i])] = y[b * m + i];
  return out;
}

std::vector<std::size_t> unread_input_rows(const CompiledNetwork& net) {
  const CompiledLayer& first = net.layers.front();
  std::vector<std::size_t> rows;
  for (std::size_t c = 0; c * first.in_tile < first.in(); ++c)
    if (!first.column_read(c)) rows.push_back(c);
  return rows;
}

}  // namespace hepex::infer
