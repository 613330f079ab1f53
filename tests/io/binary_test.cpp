#include "io/binary.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace hepex::io;

namespace {
BinaryWriter sample() {
  BinaryWriter w;
  w.write_header({kFormatVersion, ObjectType::kTensor, 42});
  w.write<std::uint32_t>(7);
  w.write_vector(std::vector<double>{1.5, -2.0, 3.25});
  w.write_string("hello");
  return w;
}
}  // namespace

TEST(Binary, RoundTrip) {
  BinaryReader r(sample().bytes(), "mem");
  const Header h = r.read_header(ObjectType::kTensor);
  EXPECT_EQ(h.param_hash, 42u);
  EXPECT_EQ(r.read<std::uint32_t>(), 7u);
  EXPECT_EQ(r.read_vector<double>(10), (std::vector<double>{1.5, -2.0, 3.25}));
  EXPECT_EQ(r.read_string(), "hello");
  EXPECT_NO_THROW(r.expect_end());
}

TEST(Binary, RejectsWrongTypeBadMagicAndTruncation) {
  {
    BinaryReader r(sample().bytes(), "x.bin");
    EXPECT_THROW(r.read_header(ObjectType::kModel), hepex::FormatError);
  }
  {
    auto b = sample().bytes();
    b[0] = 'X';
    BinaryReader r(b, "x.bin");
    EXPECT_THROW(r.read_header(ObjectType::kTensor), hepex::FormatError);
  }
  const auto full = sample().bytes();
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    BinaryReader r(std::vector<std::uint8_t>(full.begin(), full.begin() + cut), "cut.bin");
    EXPECT_THROW(
        {
          r.read_header(ObjectType::kTensor);
          r.read<std::uint32_t>();
          r.read_vector<double>(10);
          r.read_string();
        },
        hepex::FormatError)
        << "cut at " << cut;
  }
}

TEST(Binary, RejectsOversizedLengthBeforeAllocating) {
  BinaryWriter w;
  w.write<std::uint64_t>(1ull << 60);
  BinaryReader r(w.bytes(), "huge.bin");
  try {
    r.read_vector<double>(~0ull);
    FAIL() << "expected FormatError";
  } catch (const hepex::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("huge.bin"), std::string::npos);
  }
}

TEST(Binary, SaveIsAtomicAndLoads) {
  const auto dir = std::filesystem::temp_directory_path() / "hepex_binary_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "t.bin").string();
  sample().save(path);
  auto r = BinaryReader::from_file(path);
  EXPECT_EQ(r.read_header(ObjectType::kTensor).param_hash, 42u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-hepex"));
  EXPECT_THROW(sample().save((dir / "no_such_dir" / "t.bin").string()), hepex::IoError);
  EXPECT_THROW(BinaryReader::from_file((dir / "missing.bin").string()), hepex::IoError);
  std::filesystem::remove_all(dir);
}
