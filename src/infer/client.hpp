#pragma once
// The client side: from original-order samples to the encrypted input tile tensor, and from the decrypted
// output tile tensor back to original-order samples. Needs only the plan (permutations, tile sizes, batch),
// never the weights.
//
// Layout: the input is packed [n/t1, */t2, B/t3] (layer 0 is transposed); sample b, model feature i sits
// in tile (i / t1, 0, b / t3), slot (i % t1) t2 t3 + (0..t2-1) t3 + b % t3. The output is [*/t1, m/t2, B/t3]
// or [m/t1, 1?/t2, B/t3] depending on the last layer's orientation (unknowns ignored).
// Permutations: model input i = original feature input_perm[i]; original output output_perm[i] = model
// output i (nn/model.hpp).
#include <cstddef>
#include <vector>

#include "backend/backend.hpp"
#include "infer/plan.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::infer {

tile::TileTensorShape plan_input_shape(const Plan& plan);
tile::TileTensorShape plan_output_shape(const Plan& plan);
// Per tile of plan_input_shape(): whether the client encrypts and sends it (not in Plan::unread_input_rows);
// input files hold these tiles only, in tile order (infer/files.hpp).
std::vector<bool> plan_input_tiles_sent(const Plan& plan);

// Samples in rows (count x input_size, original order, count <= plan.batch; missing samples are zeros)
// -> the model-order input tensor of plan_input_shape().
tile::Tensor input_tensor(const Plan& plan, const std::vector<double>& samples, std::size_t count);
// Encrypts the sent tiles (plan_input_tiles_sent; the others absent) at the backend's top level with its
// default scale.
tile::CipherTileTensor encrypt_input(const backend::Backend& be, const Plan& plan, const std::vector<double>& samples,
                                     std::size_t count);
// Decrypts and unpacks the first `count` samples: count x output_size, original order. The server's
// ciphertexts are not trusted: each must be a 2-part ciphertext at the level and scale the plan promises
// (MismatchError otherwise, before any decryption), and the decrypted values must stay below
// output_limit(plan) (FormatError otherwise: such values come from a corrupted ciphertext or another key
// set, never from the model).
std::vector<double> decrypt_output(const backend::Backend& be, const Plan& plan, const tile::CipherTileTensor& y,
                                   std::size_t count);
// The largest output magnitude the plan's chain carries with margin: 2^(bits(q_0) - scale_bits - 4), a
// sixteenth of the value at which a decryption wraps around q_0.
double output_limit(const Plan& plan);
// The same for an already decrypted (unpacked) output tensor of plan_output_shape().
std::vector<double> output_samples(const Plan& plan, const tile::Tensor& y, std::size_t count);

}  // namespace hepex::infer
