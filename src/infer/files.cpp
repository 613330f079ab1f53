#include "infer/files.hpp"

#include <cstring>
#include <fstream>
#include <regex>

#include "ckks/serialize.hpp"
#include "io/binary.hpp"
#include "nn/idx.hpp"
#include "util/error.hpp"

namespace hepex::infer {

void save_ciphertexts(const std::string& path, const backend::CkksBackend& be, const tile::CipherTileTensor& t) {
  for (std::size_t i = 0; i < t.tile_count(); ++i)
    if (t.absent(i)) throw InvalidArgument("save_ciphertexts " + path + ": tile " + std::to_string(i) + " is absent");
  const auto batch = be.unwrap_batch(t.tiles());
  ckks::SaveOptions opts;
  opts.key_id = be.keys().id;
  ckks::save(path, std::span<const ckks::Ciphertext>(batch), opts);
}

tile::CipherTileTensor load_ciphertexts(const std::string& path, const backend::CkksBackend& be,
                                        const tile::TileTensorShape& shape) {
  io::Header header;
  auto batch = ckks::load_ciphertext_batch(be.context(), path, &header);
  const auto& keys = be.keys();
  if (io::is_set(keys.id) && header.key_id != keys.id)
    throw MismatchError(path + ": encrypted under key set " + io::key_id_text(header.key_id) + ", but " + keys.source +
                        " is key set " + io::key_id_text(keys.id) + " (the ciphertexts come from another keygen)");
  if (batch.size() != shape.tile_count())
    throw FormatError(path + ": " + std::to_string(batch.size()) + " ciphertexts, the plan's tile tensor " +
                      shape.to_string() + " has " + std::to_string(shape.tile_count()));
  return tile::CipherTileTensor(shape, be.wrap_batch(std::move(batch)));
}

// ------------------------------------------------------------------------------------------------ npy

void save_npy(const std::string& path, const Samples& s) {
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

Samples load_npy(const std::string& path) {
  const auto bytes = io::read_file_bytes(path);
  auto fail = [&](const std::string& what) -> void { throw FormatError(path + ": " + what); };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) fail("not a .npy file");
  if (bytes[6] != 1) fail("npy version " + std::to_string(bytes[6]) + " (only 1.0 is read)");
  const std::size_t hlen = bytes[8] | (std::size_t(bytes[9]) << 8);
  if (10 + hlen > bytes.size()) fail("truncated header");
  const std::string header(bytes.begin() + 10, bytes.begin() + 10 + std::ptrdiff_t(hlen));
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<|=]?)([fu])(\\d)'"))) fail("unsupported dtype");
  const char kind = m[2].str()[0];
  const int width = std::stoi(m[3].str());
  if (!((kind == 'f' && (width == 4 || width == 8)) || (kind == 'u' && width == 1)))
    fail("dtype " + m[2].str() + m[3].str() + " (float32, float64 or uint8 only)");
  if (header.find("'fortran_order': True") != std::string::npos) fail("Fortran order is not supported");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\((\\d+),\\s*(\\d*)\\)"))) fail("shape not 1-D or 2-D");
  Samples s;
  s.rows = std::stoull(m[1].str());
  s.cols = m[2].str().empty() ? 1 : std::stoull(m[2].str());
  if (m[2].str().empty()) std::swap(s.rows, s.cols);  // a 1-D array is one sample
  const std::size_t count = s.rows * s.cols, data = 10 + hlen;
  if (bytes.size() - data != count * std::size_t(width)) fail("data size differs from the shape");
  s.values.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = bytes.data() + data + i * std::size_t(width);
    if (kind == 'u') s.values[i] = *p / 255.0;
    else if (width == 4) {
      float v;
      std::memcpy(&v, p, 4);
      s.values[i] = v;
    } else std::memcpy(&s.values[i], p, 8);
  }
  return s;
}

Samples load_samples(const std::string& path, std::size_t offset, std::size_t count) {
  Samples all;
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".npy") {
    all = load_npy(path);
  } else {
    const auto idx = nn::read_idx_file(path, 3);
    all.rows = idx.dims[0];
    all.cols = std::size_t(idx.dims[1]) * idx.dims[2];
    all.values.resize(idx.data.size());
    for (std::size_t i = 0; i < idx.data.size(); ++i) all.values[i] = idx.data[i] / 255.0;
  }
  if (offset >= all.rows)
    throw InvalidArgument(path + ": offset " + std::to_string(offset) + " past its " + std::to_string(all.rows) + " samples");
  if (count == 0) count = all.rows - offset;
  if (offset + count > all.rows)
    throw InvalidArgument(path + ": samples " + std::to_string(offset) + ".." + std::to_string(offset + count) +
                          " asked, the file has " + std::to_string(all.rows));
  Samples s;
  s.rows = count;
  s.cols = all.cols;
  s.values.assign(all.values.begin() + std::ptrdiff_t(offset * all.cols),
                  all.values.begin() + std::ptrdiff_t((offset + count) * all.cols));
  return s;
}

}  // namespace hepex::infer
