#include "infer/files.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ckks/serialize.hpp"
#include "infer/client.hpp"
#include "io/binary.hpp"
#include "io/safe_file.hpp"
#include "nn/idx.hpp"
#include "tile/pack.hpp"
#include "util/error.hpp"

namespace hepex::infer {

namespace {
// Per tile and one past the last: the tiles before it a file holds (all, or the sent ones).
std::vector<std::size_t> file_index(const tile::TileTensorShape& shape, const std::vector<bool>& sent,
                                    const std::string& who) {
  if (!sent.empty() && sent.size() != shape.tile_count())
    throw InvalidArgument(who + ": " + std::to_string(sent.size()) + " sent flags for " +
                          std::to_string(shape.tile_count()) + " tiles");
  std::vector<std::size_t> index(shape.tile_count() + 1, 0);
  for (std::size_t i = 0; i < shape.tile_count(); ++i) index[i + 1] = index[i] + (sent.empty() || sent[i] ? 1 : 0);
  return index;
}

// The tiles of `t` a file holds (every tile, or the sent ones: present, the others absent), as the engine's
// ciphertexts (not copied).
std::vector<const ckks::Ciphertext*> file_tiles(const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                                                const std::vector<bool>& sent, const std::string& who) {
  const auto index = file_index(t.shape(), sent, who);
  std::vector<const ckks::Ciphertext*> held;
  held.reserve(index.back());
  for (std::size_t i = 0; i < t.tile_count(); ++i) {
    const bool in_file = index[i + 1] > index[i];
    if (in_file && t.absent(i)) throw InvalidArgument(who + ": tile " + std::to_string(i) + " is absent");
    if (!in_file && !t.absent(i)) throw InvalidArgument(who + ": tile " + std::to_string(i) + " is not sent, but present");
    if (in_file) held.push_back(&be.unwrap(t.tile(i)));
  }
  return held;
}

ckks::SaveOptions key_set_options(const backend::CkksBackend& be) {
  ckks::SaveOptions opts;
  opts.key_id = be.keys().id;
  return opts;
}

// The file's bytes (trailer included), written ciphertext by ciphertext into one buffer of the final size:
// neither the ciphertexts are copied nor the buffer regrown (a server's output is the largest thing it
// holds at the end of an evaluation).
std::vector<std::uint8_t> sealed_file_bytes(const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                                            const std::vector<bool>& sent, const std::string& who) {
  const auto tiles = file_tiles(be, t, sent, who);
  const ckks::SaveOptions opts = key_set_options(be);
  std::size_t body = 0;
  for (const auto* ct : tiles) body += ckks::batch_body_size(*ct, opts);
  ckks::CiphertextBatchWriter writer(be.context(), tiles.size(), opts);
  writer.reserve(body);
  for (const auto* ct : tiles) writer.add(*ct);
  return io::seal(writer.finish());
}
}  // namespace

void save_ciphertexts(const std::string& path, const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                      const std::vector<bool>& sent) {
  io::write_file_atomic(path, sealed_file_bytes(be, t, sent, "save_ciphertexts " + path));
}

std::vector<std::uint8_t> ciphertexts_file_bytes(const backend::CkksBackend& be, const tile::CipherTileTensor& t,
                                                 const std::vector<bool>& sent) {
  return sealed_file_bytes(be, t, sent, "ciphertexts_file_bytes");
}

std::vector<std::uint8_t> encrypted_input_file_bytes(const backend::CkksBackend& be, const Plan& plan,
                                                     const std::vector<double>& samples, std::size_t count) {
  const tile::TileTensorShape shape = plan_input_shape(plan);
  const tile::Tensor x = input_tensor(plan, samples, count);
  const std::vector<bool> sent = plan_input_tiles_sent(plan);
  const auto index = file_index(shape, sent, "encrypted_input_file_bytes");
  ckks::CiphertextBatchWriter writer(be.context(), index.back(), key_set_options(be));
  const std::size_t per_row = shape.tiles_per_row(), rows = shape.dim(0).tile_count();
  for (std::size_t r0 = 0; r0 < rows; r0 += kInputPartPositions) {
    const std::size_t r1 = std::min(rows, r0 + kInputPartPositions);
    std::vector<bool> part(sent.size(), false);
    for (std::size_t i = r0 * per_row; i < r1 * per_row; ++i) part[i] = sent[i];
    const auto tiles = tile::pack_encrypted(be, x, shape, be.max_level(), be.default_scale(), part);
    for (std::size_t i = r0 * per_row; i < r1 * per_row; ++i)
      if (part[i]) writer.add(be.unwrap(tiles.tile(i)));
  }
  return io::seal(writer.finish());
}

tile::CipherTileTensor load_ciphertexts(const std::string& path, const backend::CkksBackend& be,
                                        const tile::TileTensorShape& shape, const std::vector<bool>& sent) {
  return parse_ciphertexts(io::read_hepex_file(path), path, be, shape, sent);
}

namespace {
// Refuses ciphertexts of another key set than the backend's keys and a count other than the file's tiles.
void check_batch(const std::string& path, const io::Header& header, std::size_t count, const backend::CkksBackend& be,
                 const tile::TileTensorShape& shape, std::size_t in_file) {
  const auto& keys = be.keys();
  if (io::is_set(keys.id) && header.key_id != keys.id)
    throw MismatchError(path + ": encrypted under key set " + io::key_id_text(header.key_id) + ", but " + keys.source +
                        " is key set " + io::key_id_text(keys.id) + " (the ciphertexts come from another keygen)");
  if (count != in_file)
    throw FormatError(path + ": " + std::to_string(count) + " ciphertexts, the plan's tile tensor " + shape.to_string() +
                      " sends " + std::to_string(in_file) +
                      (in_file == shape.tile_count() ? "" : " of its " + std::to_string(shape.tile_count()) + " tiles"));
}
}  // namespace

tile::CipherTileTensor parse_ciphertexts(std::vector<std::uint8_t> body, const std::string& path,
                                         const backend::CkksBackend& be, const tile::TileTensorShape& shape,
                                         const std::vector<bool>& sent) {
  const auto index = file_index(shape, sent, path);
  io::Header header;
  auto batch = ckks::parse_ciphertext_batch(be.context(), std::move(body), path, &header);
  check_batch(path, header, batch.size(), be, shape, index.back());
  auto wrapped = be.wrap_batch(std::move(batch));
  std::vector<backend::Ciphertext> tiles(shape.tile_count());
  for (std::size_t i = 0; i < tiles.size(); ++i)
    if (index[i + 1] > index[i]) tiles[i] = std::move(wrapped[index[i]]);
  return tile::CipherTileTensor(shape, std::move(tiles));
}

namespace {
ckks::CiphertextBatchParser checked_parser(io::BinaryReader body, const backend::CkksBackend& be,
                                           const tile::TileTensorShape& shape, std::size_t in_file) {
  const std::string name = body.name();
  io::Header header;
  ckks::CiphertextBatchParser parser(be.context(), std::move(body), &header);
  check_batch(name, header, parser.count(), be, shape, in_file);
  return parser;
}
}  // namespace

CiphertextTiles::CiphertextTiles(std::vector<std::uint8_t> body, const std::string& name,
                                 const backend::CkksBackend& be, const tile::TileTensorShape& shape,
                                 const std::vector<bool>& sent)
    : CiphertextTiles(io::BinaryReader(std::move(body), name), be, shape, sent) {}

CiphertextTiles::CiphertextTiles(io::BinaryReader body, const backend::CkksBackend& be,
                                 const tile::TileTensorShape& shape, const std::vector<bool>& sent)
    : be_(be), shape_(shape), file_index_(file_index(shape, sent, body.name())) {
  parser_.emplace(checked_parser(std::move(body), be, shape, file_index_.back()));
}

tile::CipherTileTensor CiphertextTiles::fetch(std::size_t first, std::size_t last) {
  const std::size_t per_row = shape_.tiles_per_row(), begin = first * per_row, end = last * per_row;
  if (first > last || end > shape_.tile_count())
    throw InvalidArgument("ciphertext tiles: positions [" + std::to_string(first) + ", " + std::to_string(last) +
                          ") outside the " + std::to_string(shape_.dim(0).tile_count()) + " of dim 0");
  if (!parser_) throw InvalidArgument("ciphertext tiles: read after finish()");
  const std::size_t from = file_index_[begin], to = file_index_[end];  // the file's ciphertexts of those tiles
  if (parser_->parsed() > from) parser_->rewind();
  while (parser_->parsed() < from) parser_->next();  // skipped: parsed (checked) and dropped
  auto wrapped = be_.wrap_batch(parser_->next_many(to - from));
  std::vector<backend::Ciphertext> tiles(shape_.tile_count());
  for (std::size_t i = begin; i < end; ++i)
    if (file_index_[i + 1] > file_index_[i]) tiles[i] = std::move(wrapped[file_index_[i] - from]);
  return tile::CipherTileTensor(shape_, std::move(tiles));
}

void CiphertextTiles::finish() {
  if (!parser_) return;
  while (parser_->parsed() < parser_->count()) parser_->next();
  parser_->finish();
  parser_.reset();
}

// ------------------------------------------------------------------------------------------------ npy

void save_npy(const std::string& path, const Samples& s) {
  if (s.values.size() != s.rows * s.cols)
    throw InvalidArgument("save_npy " + path + ": " + std::to_string(s.values.size()) + " values for a " +
                          std::to_string(s.rows) + " x " + std::to_string(s.cols) + " array");
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(s.rows) + ", " +
                       std::to_string(s.cols) + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<std::uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const auto len = static_cast<std::uint16_t>(header.size());
  bytes.push_back(std::uint8_t(len & 0xff));
  bytes.push_back(std::uint8_t(len >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.values.data());
  bytes.insert(bytes.end(), p, p + s.values.size() * sizeof(double));
  io::write_file_atomic(path, bytes);
}

namespace {

// Limits on sample files, checked before anything is allocated: a .npy file on disk, and the values
// one file may hold (2^28 doubles = 2 GiB in memory; the 60000 MNIST training images are 4.7e7 values).
constexpr std::size_t kMaxSampleValues = std::size_t(1) << 28;
constexpr std::uintmax_t kMaxSampleFileBytes = kMaxSampleValues * 8 + 10 + 65535;  // float64 data + largest header

// The .npy header dict, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }, read by hand:
// only the three keys NumPy writes, no general Python literal parser (and no backtracking regex).
class NpyHeader {
 public:
  NpyHeader(std::string text, std::string path) : h_(std::move(text)), path_(std::move(path)) {}

  // The string value of 'descr'.
  std::string descr() {
    std::size_t i = value_of("descr");
    if (i >= h_.size() || (h_[i] != '\'' && h_[i] != '"')) fail("'descr' is not a string");
    const std::size_t end = h_.find(h_[i], i + 1);
    if (end == std::string::npos) fail("'descr' is not a string");
    return h_.substr(i + 1, end - i - 1);
  }
  bool fortran_order() {
    const std::size_t i = h_.find("'fortran_order'");
    if (i == std::string::npos) return false;
    return h_.compare(value_of("fortran_order"), 4, "True") == 0;
  }
  // The dimensions of 'shape'; each at most `max_dim` (larger ones are refused, not wrapped).
  std::vector<std::size_t> shape(std::size_t max_dim) {
    std::size_t i = value_of("shape");
    if (i >= h_.size() || h_[i] != '(') fail("'shape' is not a tuple");
    std::vector<std::size_t> dims;
    for (++i;;) {
      skip_spaces(i);
      if (i < h_.size() && h_[i] == ')') return dims;
      if (i >= h_.size() || h_[i] < '0' || h_[i] > '9') fail("'shape' is not a tuple of non-negative integers");
      std::size_t d = 0;
      for (; i < h_.size() && h_[i] >= '0' && h_[i] <= '9'; ++i) {
        d = d * 10 + std::size_t(h_[i] - '0');
        if (d > max_dim) fail("shape dimension " + digits_from(i) + " is implausibly large (at most " +
                              std::to_string(max_dim) + " values per file)");
      }
      dims.push_back(d);
      skip_spaces(i);
      if (i < h_.size() && h_[i] == ',') ++i;
      else if (i >= h_.size() || h_[i] != ')') fail("'shape' is not a tuple of non-negative integers");
    }
  }
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }

 private:
  void skip_spaces(std::size_t& i) const {
    while (i < h_.size() && (h_[i] == ' ' || h_[i] == '\t')) ++i;
  }
  // Position of the value after 'key': (spaces skipped).
  std::size_t value_of(const std::string& key) {
    const std::size_t k = h_.find("'" + key + "'");
    if (k == std::string::npos) fail("npy header has no '" + key + "'");
    std::size_t i = k + key.size() + 2;
    skip_spaces(i);
    if (i >= h_.size() || h_[i] != ':') fail("npy header entry '" + key + "' has no value");
    ++i;
    skip_spaces(i);
    return i;
  }
  // The run of digits around position i, shortened for messages.
  std::string digits_from(std::size_t i) const {
    std::size_t b = i;
    while (b > 0 && h_[b - 1] >= '0' && h_[b - 1] <= '9') --b;
    std::size_t e = i;
    while (e < h_.size() && h_[e] >= '0' && h_[e] <= '9') ++e;
    const std::string d = h_.substr(b, e - b);
    return d.size() > 24 ? d.substr(0, 20) + "... (" + std::to_string(d.size()) + " digits)" : d;
  }

  std::string h_, path_;
};

}  // namespace

Samples load_npy(const std::string& path) { return parse_npy(io::read_file_bytes(path, kMaxSampleFileBytes), path); }

Samples parse_npy(const std::vector<std::uint8_t>& bytes, const std::string& path) {
  auto fail = [&](const std::string& what) { throw FormatError(path + ": " + what); };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) fail("not a .npy file");
  if (bytes[6] != 1) fail("npy version " + std::to_string(bytes[6]) + " (only 1.0 is read)");
  const std::size_t hlen = bytes[8] | (std::size_t(bytes[9]) << 8);
  if (10 + hlen > bytes.size()) fail("truncated header");
  NpyHeader header(std::string(bytes.begin() + 10, bytes.begin() + 10 + std::ptrdiff_t(hlen)), path);

  std::string descr = header.descr();
  if (!descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=')) descr.erase(0, 1);
  if (descr != "f4" && descr != "f8" && descr != "u1")
    fail("dtype '" + descr.substr(0, 16) + "' (little-endian float32, float64 or uint8 only)");
  const char kind = descr[0];
  const std::size_t width = std::size_t(descr[1] - '0');
  if (header.fortran_order()) fail("Fortran order is not supported");

  const auto dims = header.shape(kMaxSampleValues);
  if (dims.empty() || dims.size() > 2)
    fail("shape has " + std::to_string(dims.size()) + " dimensions (1-D or 2-D arrays only)");
  Samples s;
  s.rows = dims.size() == 2 ? dims[0] : 1;  // a 1-D array is one sample
  s.cols = dims.back();
  if (s.rows == 0 || s.cols == 0) fail("shape has a zero dimension (no samples)");
  if (s.rows > kMaxSampleValues / s.cols)
    fail("shape " + std::to_string(s.rows) + " x " + std::to_string(s.cols) + " is implausibly large (at most " +
         std::to_string(kMaxSampleValues) + " values per file)");
  const std::size_t count = s.rows * s.cols, data = 10 + hlen;
  if (bytes.size() - data != count * width)
    fail("data size " + std::to_string(bytes.size() - data) + " bytes differs from the shape " + std::to_string(s.rows) +
         " x " + std::to_string(s.cols) + " of " + std::to_string(width) + "-byte values");
  s.values.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = bytes.data() + data + i * width;
    if (kind == 'u') s.values[i] = *p / 255.0;
    else if (width == 4) {
      float v;
      std::memcpy(&v, p, 4);
      s.values[i] = v;
    } else std::memcpy(&s.values[i], p, 8);
    // Encrypting NaN or infinity would give garbage without a word: refuse it here.
    if (!std::isfinite(s.values[i]))
      fail("value at row " + std::to_string(i / s.cols) + ", column " + std::to_string(i % s.cols) + " is " +
           (std::isnan(s.values[i]) ? "NaN" : "infinite"));
  }
  return s;
}

Samples load_samples(const std::string& path, std::size_t offset, std::size_t count, std::size_t features) {
  const bool npy = path.size() >= 4 && path.substr(path.size() - 4) == ".npy";
  Samples all;
  nn::IdxArray idx;
  if (npy) {
    all = load_npy(path);
  } else {
    idx = nn::read_idx_file(path, 3);
    all.rows = idx.dims[0];
    all.cols = std::size_t(idx.dims[1]) * idx.dims[2];
  }
  if (features != 0 && all.cols != features)
    throw MismatchError(path + ": samples have " + std::to_string(all.cols) + " features, the plan's input has " +
                        std::to_string(features));
  if (offset >= all.rows)
    throw InvalidArgument(path + ": offset " + std::to_string(offset) + " past its " + std::to_string(all.rows) + " samples");
  if (count == 0) count = all.rows - offset;
  if (count > all.rows - offset)
    throw InvalidArgument(path + ": samples " + std::to_string(offset) + ".." + std::to_string(offset) + "+" +
                          std::to_string(count) + " asked, the file has " + std::to_string(all.rows));
  Samples s;
  s.rows = count;
  s.cols = all.cols;
  const std::size_t begin = offset * all.cols, end = (offset + count) * all.cols;
  if (npy) {
    s.values.assign(all.values.begin() + std::ptrdiff_t(begin), all.values.begin() + std::ptrdiff_t(end));
  } else {
    // Only the rows asked for become doubles (a whole IDX file could be 2 GiB of bytes).
    s.values.resize(end - begin);
    for (std::size_t i = begin; i < end; ++i) s.values[i - begin] = idx.data[i] / 255.0;
  }
  return s;
}

}  // namespace hepex::infer
