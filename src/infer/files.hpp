#pragma once
// Files the client and the server exchange, and the client's sample files.
//
//   ciphertexts   a ckks/serialize.hpp ciphertext batch: the tiles of one tile tensor in row-major tile
//                 order (an input file: the tiles the plan sends only, plan_input_tiles_sent, passed as
//                 `sent` below); the shape is the plan's (input or output), checked on load (tile count, and every
//                 ciphertext's parameters, level and slots by the ckks loader and CkksBackend::wrap), and
//                 the key set: a file of another key set than the backend's keys is refused, naming both.
//   .npy          NumPy arrays (version 1.0, little-endian, C order): written as float64 rows x cols;
//                 read as float32, float64 or uint8 (uint8 scaled by 1/255 like IDX pixels), 1-D or 2-D.
//   IDX images    MNIST files (plain or gzip), pixels scaled to [0, 1].
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "ckks/serialize.hpp"
#include "infer/plan.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::infer {

// `sent` (one flag per tile, or empty: every tile): the tiles a file holds; writing, those must be present
// and the others absent; reading, the others stay absent.
void save_ciphertexts(const std::string& path, const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                      const std::vector<bool>& sent = {});
tile::CipherTileTensor load_ciphertexts(const std::string& path, const backend::CkksBackend& be,
                                        const tile::TileTensorShape& shape, const std::vector<bool>& sent = {});
// The same in memory: the file's bytes (integrity trailer included), and their parser on bytes without
// the trailer (io::read_hepex_file, io::unseal); `name` prefixes every error.
std::vector<std::uint8_t> ciphertexts_file_bytes(const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                                                 const std::vector<bool>& sent = {});
tile::CipherTileTensor parse_ciphertexts(std::vector<std::uint8_t> body, const std::string& name,
                                         const backend::CkksBackend& be, const tile::TileTensorShape& shape,
                                         const std::vector<bool>& sent = {});

// The client's input file made part by part (the file's bytes, trailer included): the tiles encrypt_input
// would give (the plan's sent tiles, infer/client.hpp), encrypted kInputPartPositions tile rows at a time and
// written as they come, so the client never holds all its inputs expanded (4x the file). `samples`: count x
// input_size, original order.
std::vector<std::uint8_t> encrypted_input_file_bytes(const backend::CkksBackend& be, const Plan& plan,
                                                     const std::vector<double>& samples, std::size_t count);

// The tiles of a ciphertext file's bytes (trailer checked and removed) parsed part by part, as a server's
// first layer asks for them (tile::TileFetch, Executor::run): the inputs are never all expanded in memory at
// once, only their file bytes (bit-packed, seeded: a quarter of the expanded size). Key set and tile count
// are checked at construction, every ciphertext as it is parsed; finish() checks that the bytes hold
// nothing else. Parts are dim-0 positions of `shape` (tiles in row-major order: contiguous in the file).
class CiphertextTiles {
 public:
  CiphertextTiles(std::vector<std::uint8_t> body, const std::string& name, const backend::CkksBackend& be,
                  const tile::TileTensorShape& shape, const std::vector<bool>& sent = {});
  // The same read from a file as the parts are asked for (io::open_hepex_file: the digest is checked in one
  // streaming pass first): neither the ciphertexts nor the file's bytes are ever all in memory.
  CiphertextTiles(io::BinaryReader body, const backend::CkksBackend& be, const tile::TileTensorShape& shape,
                  const std::vector<bool>& sent = {});
  const tile::TileTensorShape& shape() const { return shape_; }
  // The tiles at dim-0 positions [first, last), the others absent; parts before the last one read parse again.
  tile::CipherTileTensor fetch(std::size_t first, std::size_t last);
  // Checks the rest and drops the bytes (the server calls it once the first layer is done, so they do not
  // stay for the whole evaluation); later calls do nothing, a fetch after it throws.
  void finish();

 private:
  std::optional<ckks::CiphertextBatchParser> parser_;
  const backend::CkksBackend& be_;
  tile::TileTensorShape shape_;
  std::vector<std::size_t> file_index_;  // per tile (and one past the last): the sent tiles before it
};

struct Samples {
  std::vector<double> values;  // rows x cols, row-major
  std::size_t rows = 0, cols = 0;
};

void save_npy(const std::string& path, const Samples& s);
// Refuses (FormatError naming the file) a malformed header, a shape that does not match the data or is
// implausibly large, an empty array, and NaN or infinite values (naming row and column).
Samples load_npy(const std::string& path);
// The same from the bytes of a .npy file; `name` prefixes every error.
Samples parse_npy(const std::vector<std::uint8_t>& bytes, const std::string& name);
// Rows [offset, offset + count) of an IDX image file (count 0: all the rest) or of a .npy file (by suffix).
// `features` (0: any): the width the samples must have, e.g. the plan's input size (MismatchError naming the file).
Samples load_samples(const std::string& path, std::size_t offset, std::size_t count, std::size_t features = 0);

}  // namespace hepex::infer
