// The client's sample files (.npy, IDX): hostile shapes, non-finite values and safe writes.
#include "infer/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "util/error.hpp"
#include "../common/temp_dir.hpp"

namespace hepex::infer {
namespace {

namespace fs = std::filesystem;

using hepex::test::TempDir;

// A version 1.0 .npy file with the given header dict and raw data bytes.
void write_npy(const fs::path& p, std::string dict, const std::vector<std::uint8_t>& data) {
  dict += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += char(dict.size() & 0xff);
  bytes += char(dict.size() >> 8);
  bytes += dict;
  bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::vector<std::uint8_t> doubles(const std::vector<double>& v) {
  std::vector<std::uint8_t> b(v.size() * sizeof(double));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::string f8_dict(const std::string& shape) {
  return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
}

// The error is of type E and its message names the file and contains every phrase.
template <class E, class Fn>
void expect_error(Fn fn, const fs::path& file, const std::vector<std::string>& phrases) {
  try {
    fn();
    ADD_FAILURE() << "no error for " << file;
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
    for (const auto& p : phrases) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(Npy, ReadsWhatNumPyWrites) {
  TempDir dir;
  const auto f = dir.path / "one.npy";
  write_npy(f, f8_dict("(3,)"), doubles({0.5, -1.0, 2.0}));
  const Samples one = load_npy(f.string());  // a 1-D array is one sample
  EXPECT_EQ(one.rows, 1u);
  EXPECT_EQ(one.cols, 3u);
  EXPECT_EQ(one.values, (std::vector<double>{0.5, -1.0, 2.0}));

  write_npy(f, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", {0, 255, 51, 102});
  const Samples bytes = load_npy(f.string());
  EXPECT_EQ(bytes.values, (std::vector<double>{0.0, 1.0, 0.2, 0.4}));

  const float fl[2] = {1.5f, -0.25f};
  std::vector<std::uint8_t> raw(sizeof fl);
  std::memcpy(raw.data(), fl, sizeof fl);
  write_npy(f, "{'shape': (1, 2), 'fortran_order': False, 'descr': '<f4'}", raw);  // any key order
  EXPECT_EQ(load_npy(f.string()).values, (std::vector<double>{1.5, -0.25}));
}

TEST(Npy, ShapeWhoseProductWrapsIsRefused) {
  TempDir dir;
  const auto f = dir.path / "wrap.npy";
  // (2^61 + 1) x 8 = 2^64 + 8 values: wraps to 8 in 64 bits, which matches the 64 data bytes present.
  write_npy(f, f8_dict("(2305843009213693953, 8)"), doubles(std::vector<double>(8, 1.0)));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"implausibly large"});
  expect_error<FormatError>([&] { load_samples(f.string(), 1, 1); }, f, {"implausibly large"});
  // The same with the product just over the per-file limit, no single dimension too large.
  write_npy(f, f8_dict("(65536, 65536)"), doubles(std::vector<double>(8, 1.0)));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"65536 x 65536", "implausibly large"});
}

TEST(Npy, HugeShapeIsAFormatErrorNamingTheFile) {
  TempDir dir;
  const auto f = dir.path / "huge.npy";
  // More digits than any 64-bit integer holds.
  write_npy(f, f8_dict("(123456789012345678901234567890, 3)"), doubles({1, 2, 3}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"implausibly large"});
  write_npy(f, f8_dict("(-2, 3)"), doubles({1, 2, 3, 4, 5, 6}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"shape"});
  write_npy(f, f8_dict("(1, 2, 3)"), doubles({1, 2, 3, 4, 5, 6}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"3 dimensions"});
  write_npy(f, f8_dict("(0, 3)"), {});
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"zero dimension"});
}

TEST(Npy, WrongShapeNamesTheFile) {
  TempDir dir;
  const auto f = dir.path / "short.npy";
  write_npy(f, f8_dict("(2, 3)"), doubles({1, 2, 3, 4, 5}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"40 bytes", "2 x 3"});
  // Samples of another width than the plan's input.
  write_npy(f, f8_dict("(2, 3)"), doubles({1, 2, 3, 4, 5, 6}));
  expect_error<MismatchError>([&] { load_samples(f.string(), 0, 0, 784); }, f, {"3 features", "784"});
  EXPECT_EQ(load_samples(f.string(), 0, 0, 3).values.size(), 6u);
  // A count past the end is refused, also when offset + count would wrap.
  expect_error<InvalidArgument>([&] { load_samples(f.string(), 1, std::numeric_limits<std::size_t>::max()); }, f,
                                {"the file has 2"});
  // Big-endian and other dtypes are named.
  write_npy(f, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", doubles({1, 2, 3, 4, 5, 6}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"dtype", ">f8"});
  write_npy(f, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", doubles({1, 2, 3, 4, 5, 6}));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"Fortran"});
}

TEST(Npy, NonFiniteValuesAreRefusedWithRowAndColumn) {
  TempDir dir;
  const auto f = dir.path / "nan.npy";
  std::vector<double> v(6, 0.25);
  v[5] = std::nan("");
  write_npy(f, f8_dict("(2, 3)"), doubles(v));
  expect_error<FormatError>([&] { load_npy(f.string()); }, f, {"row 1, column 2", "NaN"});
  v[5] = 0;
  v[1] = -std::numeric_limits<double>::infinity();
  write_npy(f, f8_dict("(2, 3)"), doubles(v));
  expect_error<FormatError>([&] { load_samples(f.string(), 0, 1); }, f, {"row 0, column 1", "infinite"});
}

TEST(Npy, SaveGoesThroughAFreshTemporaryNotAPlantedLink) {
  TempDir dir;
  const auto out = dir.path / "y.npy", victim = dir.path / "victim";
  std::ofstream(victim) << "precious";
  // The old writer used the fixed name <out>.tmp and followed a link planted there.
  fs::create_symlink(victim, dir.path / "y.npy.tmp");
  save_npy(out.string(), Samples{{1.0, 2.0}, 1, 2});
  std::ifstream in(victim);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
  EXPECT_EQ(load_npy(out.string()).values, (std::vector<double>{1.0, 2.0}));
  // Nothing but the output, the victim and the planted link is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 3);
  EXPECT_THROW(save_npy(out.string(), Samples{{1.0}, 1, 2}), InvalidArgument);
  EXPECT_THROW(save_npy((dir.path / "no_such_dir" / "y.npy").string(), Samples{{1.0}, 1, 1}), IoError);
}

}  // namespace
}  // namespace hepex::infer
