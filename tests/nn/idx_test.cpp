// IDX reader on generated good files (plain and gzip) and on malformed ones.
#include "nn/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "nn/dataset.hpp"
#include "util/error.hpp"
#include "../common/temp_dir.hpp"

using namespace hepex::nn;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, std::size_t data_bytes,
                                    std::uint8_t fill_base = 0) {
  std::vector<std::uint8_t> b{0, 0, type, std::uint8_t(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(d >> s));
  for (std::size_t i = 0; i < data_bytes; ++i) b.push_back(std::uint8_t(fill_base + i * 7));
  return b;
}

// gzip with zlib's deflate (an implementation independent of the reader's inflate loop).
std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&zs, uLong(raw.size())) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = uInt(raw.size());
  zs.next_out = out.data();
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

using hepex::test::TempDir;

// The error message names the file and contains the expected phrase.
template <class Fn>
void expect_format_error(Fn fn, const std::string& file, const std::string& phrase) {
  try {
    fn();
    FAIL() << "no error for " << phrase;
  } catch (const hepex::FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(phrase), std::string::npos) << msg;
  }
}

}  // namespace

TEST(Idx, ParsesImagesAndLabels) {
  const auto bytes = idx_bytes(8, {3, 2, 4}, 24);
  const IdxArray a = parse_idx(bytes, 3, "mem");
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{3, 2, 4}));
  ASSERT_EQ(a.data.size(), 24u);
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(a.data[i], std::uint8_t(i * 7));
}

TEST(Idx, RejectsMalformedHeaders) {
  expect_format_error([] { parse_idx(idx_bytes(8, {2, 2, 2}, 8), 1, "f.idx"); }, "f.idx", "dimensions");
  auto magic = idx_bytes(8, {4}, 4);
  magic[0] = 1;
  expect_format_error([&] { parse_idx(magic, 1, "f.idx"); }, "f.idx", "bad magic");
  expect_format_error([] { parse_idx(idx_bytes(0x0d, {4}, 16), 1, "f.idx"); }, "f.idx", "not unsigned bytes");
  expect_format_error([] { parse_idx(idx_bytes(8, {0}, 0), 1, "f.idx"); }, "f.idx", "zero");
  expect_format_error([] { parse_idx({0, 0, 8}, 1, "f.idx"); }, "f.idx", "too short");
  auto header_cut = idx_bytes(8, {2, 3, 4}, 0);
  header_cut.resize(10);
  expect_format_error([&] { parse_idx(header_cut, 3, "f.idx"); }, "f.idx", "header is truncated");
}

TEST(Idx, RejectsTruncatedAndOverlongData) {
  expect_format_error([] { parse_idx(idx_bytes(8, {5, 2, 2}, 19), 3, "t.idx"); }, "t.idx", "truncated");
  expect_format_error([] { parse_idx(idx_bytes(8, {5}, 6), 1, "t.idx"); }, "t.idx", "unexpected bytes");
  // Dimensions whose product overflows any sane size are refused before allocating.
  expect_format_error([] { parse_idx(idx_bytes(8, {0xffffffff, 0xffffffff, 0xffff}, 0), 3, "t.idx"); }, "t.idx",
                      "implausibly large");
}

TEST(Idx, GzipRoundTripAndCorruption) {
  std::vector<std::uint8_t> raw = idx_bytes(8, {100, 28, 28}, 78400);
  const auto gz = gzip(raw);
  EXPECT_EQ(gunzip(gz, "x.gz"), raw);

  auto truncated = gz;
  truncated.resize(gz.size() / 2);
  expect_format_error([&] { gunzip(truncated, "x.gz"); }, "x.gz", "truncated");

  auto corrupt = gz;
  for (std::size_t i = 12; i < 40; ++i) corrupt[i] ^= 0xa5;
  EXPECT_THROW(gunzip(corrupt, "x.gz"), hepex::FormatError);
  auto bad_crc = gz;
  bad_crc[gz.size() - 6] ^= 1;  // CRC32 trailer
  expect_format_error([&] { gunzip(bad_crc, "x.gz"); }, "x.gz", "corrupt gzip");
}

TEST(Idx, LoadsADatasetDirectoryPlainAndGzip) {
  TempDir dir;
  const std::size_t n = 7;
  std::vector<std::uint8_t> images = idx_bytes(8, {std::uint32_t(n), 3, 2}, n * 6);
  std::vector<std::uint8_t> labels = idx_bytes(8, {std::uint32_t(n)}, 0);
  for (std::size_t i = 0; i < n; ++i) labels.push_back(std::uint8_t(i % 4));
  write(dir.path / "train-images-idx3-ubyte", images);
  write(dir.path / "train-labels-idx1-ubyte.gz", gzip(labels));
  write(dir.path / "t10k-images-idx3-ubyte.gz", gzip(images));
  write(dir.path / "t10k-labels-idx1-ubyte", labels);
  for (const Split split : {Split::kTrain, Split::kTest}) {
    const Dataset d = load_idx_dataset(dir.path.string(), split);
    ASSERT_EQ(d.size(), Eigen::Index(n));
    ASSERT_EQ(d.features(), 6);
    EXPECT_EQ(d.num_classes(), 4);
    for (std::size_t k = 0; k < n * 6; ++k) EXPECT_FLOAT_EQ(d.images.data()[k], float(images[16 + k]) / 255.f);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(d.labels[i], i % 4);
  }

  // Label count disagreeing with the image count names both files.
  write(dir.path / "t10k-labels-idx1-ubyte", idx_bytes(8, {std::uint32_t(n - 1)}, n - 1));
  expect_format_error([&] { load_idx_dataset(dir.path.string(), Split::kTest); }, "t10k-labels-idx1-ubyte", "labels");
  // A corrupt .gz file is named.
  auto bad = gzip(images);
  bad.resize(bad.size() - 10);
  write(dir.path / "t10k-images-idx3-ubyte.gz", bad);
  expect_format_error([&] { load_idx_dataset(dir.path.string(), Split::kTest); }, "t10k-images-idx3-ubyte.gz", "gzip");
  // Missing files are an I/O error naming the file.
  fs::remove(dir.path / "train-images-idx3-ubyte");
  try {
    load_idx_dataset(dir.path.string(), Split::kTrain);
    FAIL();
  } catch (const hepex::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte"), std::string::npos);
  }
}

namespace {
// gzip of `head` followed by `zeros` zero bytes, deflated in pieces (the zeros are never in memory at once).
std::vector<std::uint8_t> gzip_with_zeros(const std::vector<std::uint8_t>& head, std::size_t zeros) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<std::uint8_t> out, piece(1 << 16), zero(1 << 20, 0);
  auto pump = [&](const std::uint8_t* p, std::size_t n, int flush) {
    zs.next_in = const_cast<Bytef*>(p);
    zs.avail_in = uInt(n);
    do {
      zs.next_out = piece.data();
      zs.avail_out = uInt(piece.size());
      deflate(&zs, flush);
      out.insert(out.end(), piece.data(), piece.data() + (piece.size() - zs.avail_out));
    } while (zs.avail_out == 0);
  };
  pump(head.data(), head.size(), Z_NO_FLUSH);
  for (std::size_t left = zeros; left > 0;) {
    const std::size_t n = std::min(left, zero.size());
    pump(zero.data(), n, Z_NO_FLUSH);
    left -= n;
  }
  pump(nullptr, 0, Z_FINISH);
  deflateEnd(&zs);
  return out;
}
}  // namespace

TEST(Idx, GzipIsInflatedOnlyAsFarAsTheHeaderDeclares) {
  // A bomb: the header declares 2 x 28 x 28 bytes, the stream carries 64 MiB more (65 KB compressed).
  const auto head = idx_bytes(8, {2, 28, 28}, 2 * 784);
  auto bomb = gzip_with_zeros(head, std::size_t(64) << 20);
  ASSERT_LT(bomb.size(), std::size_t(100) << 10);
  // Corrupt the tail of the stream: a reader that stopped at the declared size never gets there, one that
  // inflates everything reports corruption (or runs out of memory on a real bomb) instead.
  for (std::size_t i = bomb.size() - 64; i < bomb.size() - 8; ++i) bomb[i] ^= 0x5a;
  expect_format_error([&] { parse_idx_file_bytes(bomb, 3, "bomb.gz"); }, "bomb.gz",
                      "continues past the 1568 data bytes its IDX header declares");

  // The declared size exactly: accepted, equal to the plain file.
  const IdxArray a = parse_idx_file_bytes(gzip(head), 3, "ok.gz");
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{2, 28, 28}));
  EXPECT_EQ(a.data, std::vector<std::uint8_t>(head.begin() + 16, head.end()));
  // Short of it: truncated, named.
  const auto short_head = std::vector<std::uint8_t>(head.begin(), head.end() - 100);
  expect_format_error([&] { parse_idx_file_bytes(gzip(short_head), 3, "s.gz"); }, "s.gz", "found 1468");
  // A header claiming 1 GiB over 10 bytes of data: truncated (and memory follows the data, not the claim).
  expect_format_error([&] { parse_idx_file_bytes(gzip(idx_bytes(8, {1u << 14, 256, 256}, 10)), 3, "c.gz"); }, "c.gz",
                      "header promises 1073741824 data bytes, found 10");
  // A header the gzip stream cuts short, and garbage after the gzip member.
  expect_format_error([&] { parse_idx_file_bytes(gzip({0, 0, 8, 3, 0, 0}), 3, "h.gz"); }, "h.gz", "header is truncated");
  auto trailing = gzip(head);
  trailing.push_back(0);
  expect_format_error([&] { parse_idx_file_bytes(trailing, 3, "t.gz"); }, "t.gz", "after the gzip data");
}

TEST(Idx, OversizedFileIsRefusedBeforeReading) {
  TempDir dir;
  const auto f = dir.path / "sparse-idx3-ubyte";
  { std::ofstream(f, std::ios::binary) << "x"; }
  fs::resize_file(f, (std::uintmax_t(1) << 31) + (std::uintmax_t(1) << 20));  // sparse: no disk used
  expect_format_error([&] { read_idx_file(f.string(), 3); }, "sparse-idx3-ubyte", "more than the");
}
