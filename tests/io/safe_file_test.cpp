#include "io/safe_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "io/binary.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace hepex;
using namespace hepex::io;

namespace {

fs::path fresh_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("hepex_safe_file_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::size_t entries(const fs::path& dir) { return std::size_t(std::distance(fs::directory_iterator(dir), {})); }

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

TEST(SafeFile, PlantedSymlinksAreNotFollowed) {
  const auto d = fresh_dir("symlink");
  const auto victim = d / "victim";
  std::ofstream(victim) << "precious";
  // The old writer's predictable temporary name, and the destination itself, both planted as links.
  fs::create_symlink(victim, d / "out.key.tmp-hepex");
  fs::create_symlink(victim, d / "out.key");
  write_file_atomic((d / "out.key").string(), std::string_view("secret"), FileMode::kSecret);
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(d / "out.key"));  // the link was replaced, not written through
  EXPECT_EQ(slurp(d / "out.key"), "secret");
  fs::remove_all(d);
}

TEST(SafeFile, SecretFilesAre0600AndSharedFilesFollowTheUmask) {
  const auto d = fresh_dir("modes");
  const mode_t old = ::umask(022);
  write_file_atomic((d / "s").string(), std::string_view("x"), FileMode::kSecret);
  write_file_atomic((d / "p").string(), std::string_view("x"));
  ::umask(old);
  EXPECT_EQ(mode_of(d / "s"), 0600u);
  EXPECT_EQ(mode_of(d / "p"), 0644u);
  create_directory((d / "keys").string(), 0700);
  EXPECT_EQ(mode_of(d / "keys"), 0700u);
  fs::remove_all(d);
}

TEST(SafeFile, ConcurrentWritersNeverMixTheirData) {
  const auto d = fresh_dir("race");
  const auto out = (d / "y.ct").string();
  const std::string a(1 << 20, 'a'), b(1 << 20, 'b');
  for (int round = 0; round < 5; ++round) {
    std::thread ta([&] { write_file_atomic(out, std::string_view(a)); });
    std::thread tb([&] { write_file_atomic(out, std::string_view(b)); });
    ta.join();
    tb.join();
    const std::string got = slurp(out);
    EXPECT_TRUE(got == a || got == b) << "round " << round << ": a mixture of both writers";
    EXPECT_EQ(entries(d), 1u) << "a temporary was left behind";
  }
  fs::remove_all(d);
}

TEST(SafeFile, AFailedWriteLeavesNothingAndNamesThePath) {
  const auto d = fresh_dir("fail");
  const auto bad = (d / "missing" / "out.bin").string();
  try {
    write_file_atomic(bad, std::string_view("x"));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos);
  }
  EXPECT_THROW(check_destination(bad), IoError);
  EXPECT_THROW(check_destination(d.string()), IoError);  // a directory
  EXPECT_NO_THROW(check_destination((d / "ok.bin").string()));
  EXPECT_EQ(entries(d), 0u);
  std::ofstream(d / "exists") << "x";
  EXPECT_THROW(check_not_exists((d / "exists").string(), false, "a key"), IoError);
  EXPECT_NO_THROW(check_not_exists((d / "exists").string(), true, "a key"));
  fs::remove_all(d);
}

TEST(SafeFile, SigintDuringAWriteRemovesTheTemporary) {
  const auto d = fresh_dir("sigint");
  const auto out = d / "big.bin";
  bool interrupted = false;
  // The child writes a large file; the parent interrupts it as soon as its temporary appears. A fast disk may
  // finish first: then try again with twice the size.
  for (std::size_t mib = 256; mib <= 1024 && !interrupted; mib *= 2) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const std::vector<std::uint8_t> data(mib << 20, 7);
      write_file_atomic(out.string(), data);
      ::_exit(0);
    }
    bool seen = false;
    for (int i = 0; i < 20000 && !seen; ++i) {
      for (const auto& e : fs::directory_iterator(d))
        if (e.path().filename().string().rfind(".big.bin.tmp-", 0) == 0) seen = true;
      if (!seen) ::usleep(500);
    }
    if (seen) ::kill(child, SIGINT);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) {
      interrupted = true;
      EXPECT_EQ(WTERMSIG(status), SIGINT);
      EXPECT_FALSE(fs::exists(out));
      EXPECT_EQ(entries(d), 0u) << "the temporary survived the signal";
    }
    fs::remove(out);
  }
  EXPECT_TRUE(interrupted) << "the writer always finished before the signal";
  fs::remove_all(d);
}

TEST(SafeFile, OversizedFilesAreRefusedBeforeReading) {
  const auto d = fresh_dir("big");
  const auto p = d / "sparse.bin";
  {
    std::ofstream f(p);
  }
  fs::resize_file(p, std::uintmax_t{8} << 30);  // sparse: costs nothing
  try {
    read_file_bytes(p.string(), 1 << 20);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos);
  }
  // A hepex file is refused by its first bytes, before the rest is read.
  EXPECT_THROW(read_hepex_file(p.string()), FormatError);
  fs::remove_all(d);
}
