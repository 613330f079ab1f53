#include "io/binary.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <unistd.h>

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

TEST(Binary, IntegrityTrailerCatchesFlippedBitsAndTruncation) {
  const auto dir = std::filesystem::temp_directory_path() / ("hepex_binary_integrity_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "t.bin").string();
  sample().save(path);
  EXPECT_EQ(read_hepex_file(path), sample().bytes());  // the trailer is checked and removed
  const auto good = read_hepex_file(path);
  auto file = [&] {
    std::ifstream f(path, std::ios::binary);
    return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }();
  for (std::size_t at : {std::size_t{30}, good.size() - 1, file.size() - 1}) {
    auto bad = file;
    bad[at] ^= 0x10;
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bad.data(), std::streamsize(bad.size()));
    try {
      read_hepex_file(path);
      FAIL() << "flipped bit at " << at << " not detected";
    } catch (const hepex::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("integrity"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(file.data(), std::streamsize(file.size() - 5));
  EXPECT_THROW(read_hepex_file(path), hepex::FormatError);
  std::filesystem::remove_all(dir);
}

TEST(Binary, KeySetIdRoundTripsAndVersionOneIsReadForModelsOnly) {
  KeyId id{};
  id[0] = 0xab;
  id[15] = 1;
  BinaryWriter w;
  w.write_header({kFormatVersion, ObjectType::kCiphertext, 7, id});
  BinaryReader r(w.bytes(), "mem");
  EXPECT_EQ(r.read_header(ObjectType::kCiphertext).key_id, id);
  EXPECT_EQ(key_id_text(id), "ab00000000000000");
  EXPECT_EQ(key_id_text(KeyId{}), "none");

  // A version-1 header (no key set id): a model is still read, a ciphertext is not.
  std::vector<std::uint8_t> v1(kMagic, kMagic + sizeof(kMagic));
  auto put32 = [&](std::uint32_t v) { v1.insert(v1.end(), reinterpret_cast<std::uint8_t*>(&v), reinterpret_cast<std::uint8_t*>(&v) + 4); };
  put32(1);
  put32(static_cast<std::uint32_t>(ObjectType::kModel));
  v1.insert(v1.end(), 8, 0);
  BinaryReader model(v1, "old.hpx");
  EXPECT_EQ(model.read_header(ObjectType::kModel).version, 1u);
  v1[12] = static_cast<std::uint8_t>(ObjectType::kCiphertext);
  BinaryReader ct(v1, "old.ct");
  EXPECT_THROW(ct.read_header(ObjectType::kCiphertext), hepex::FormatError);
}

// A file read from disk as it is asked for (open_hepex_file): the same values as the bytes in memory, at
// the current position and at any position; the integrity trailer checked in one pass first.
TEST(Binary, OpenHepexFileReadsFromDiskWhatTheBytesHold) {
  const auto dir = std::filesystem::temp_directory_path() / ("hepex_binary_open_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "t.bin").string();
  BinaryWriter w = sample();
  const std::vector<std::uint64_t> words = {5, 0, 1023, 77, 512, 1, 999};
  w.write_packed(words, 10);
  w.save(path);

  BinaryReader r = open_hepex_file(path);
  EXPECT_EQ(r.remaining(), w.bytes().size());
  EXPECT_EQ(r.read_header(ObjectType::kTensor).param_hash, 42u);
  EXPECT_EQ(r.read<std::uint32_t>(), 7u);
  EXPECT_EQ(r.read_vector<double>(10), (std::vector<double>{1.5, -2.0, 3.25}));
  EXPECT_EQ(r.read_string(), "hello");
  const std::size_t packed_at = r.position();
  std::vector<std::uint64_t> back(words.size());
  r.read_packed(back, 10);
  EXPECT_EQ(back, words);
  EXPECT_NO_THROW(r.expect_end());
  std::vector<std::uint64_t> again(words.size());
  r.read_packed_at(packed_at, again, 10);
  EXPECT_EQ(again, words);
  std::uint32_t seven = 0;
  r.copy_at(sizeof(kMagic) + 4 + 4 + 8 + sizeof(KeyId), &seven, sizeof seven);
  EXPECT_EQ(seven, 7u);
  EXPECT_THROW(r.read<std::uint8_t>(), hepex::FormatError);  // the trailer is not part of the body

  // A flipped bit anywhere, or a file cut short, is refused when opened.
  auto file = read_file_bytes(path);
  for (std::size_t at : {std::size_t{3}, std::size_t{30}, file.size() - 1}) {
    auto bad = file;
    bad[at] ^= 0x01;
    write_file_atomic(path, bad);
    EXPECT_THROW(open_hepex_file(path), hepex::FormatError) << "flipped bit at " << at;
  }
  write_file_atomic(path, std::span<const std::uint8_t>(file.data(), file.size() - 3));
  EXPECT_THROW(open_hepex_file(path), hepex::FormatError);
  EXPECT_THROW(open_hepex_file((dir / "missing.bin").string()), hepex::IoError);

  // Written in place after it was opened (same size, another byte): the next read fails, naming the file,
  // rather than handing over bytes the digest never covered. (After a pause: file times have a coarse tick.)
  write_file_atomic(path, file);
  {
    BinaryReader changed = open_hepex_file(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    {
      std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
      f.seekp(30);
      f.put(char(file[30] ^ 0x01));
    }
    try {
      changed.seek(packed_at);
      changed.read_packed(back, 10);
      FAIL() << "read a file written in place after it was opened";
    } catch (const hepex::IoError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("changed while being read"), std::string::npos) << e.what();
    }
  }

  // Cut short after it was opened: the read past the new end fails, naming the file.
  write_file_atomic(path, file);
  BinaryReader cut = open_hepex_file(path);
  std::filesystem::resize_file(path, 20);
  try {
    cut.seek(packed_at);
    cut.read_packed(back, 10);
    FAIL() << "read past the end of a shrunk file";
  } catch (const hepex::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}
