#pragma once
// Safe file writing and bounded reading, for every file hepex writes or reads.
//
// A write goes to a fresh temporary in the destination directory, created with O_EXCL and a random name
// (so a planted symlink or a second process writing the same output cannot redirect it), mode 0600 while
// it is written, then fsync, the final mode, an atomic rename over the destination and an fsync of the
// directory. On any failure the temporary is removed and the destination is left as it was; a SIGINT,
// SIGTERM or SIGHUP during the write removes the temporary too (the process then dies of the signal as
// it would have).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hepex::io {

enum class FileMode {
  kShared,  // 0666 less the umask, like any file a program writes
  kSecret,  // 0600: secret keys
};

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes, FileMode mode = FileMode::kShared);
void write_file_atomic(const std::string& path, std::string_view text, FileMode mode = FileMode::kShared);
// The parts one after another (e.g. a body and its digest, without copying the body).
void write_file_atomic(const std::string& path, std::initializer_list<std::span<const std::uint8_t>> parts,
                       FileMode mode = FileMode::kShared);

// Throws IoError naming `path` unless a file can be created there: its directory exists and is writable,
// and the path is not a directory. Verbs call it for every output before they start long work.
void check_destination(const std::string& path);

// Refuses (IoError) when `path` exists, unless `force`: for outputs that must not be replaced silently.
void check_not_exists(const std::string& path, bool force, const std::string& what);

// Creates `dir` (and its parents) if missing; a directory this call creates gets `mode` (e.g. 0700).
void create_directory(const std::string& dir, unsigned mode);

// Largest file read whole: bigger ones are refused before any byte is read.
inline constexpr std::uint64_t kMaxFileBytes = std::uint64_t{16} << 30;

// Reads a whole regular file in one pass after checking its size against `max_bytes`; IoError naming the
// path on failure, FormatError when it is larger than max_bytes.
std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::uint64_t max_bytes = kMaxFileBytes);

// The first n bytes of a regular file (fewer when it is shorter), e.g. a header, without reading the rest;
// IoError as ReadOnlyFile.
std::vector<std::uint8_t> read_file_prefix(const std::string& path, std::size_t n);

// A fresh private directory (mode 0700, a random name made by mkdtemp under the system's temporary
// directory, $TMPDIR or /tmp) removed with everything in it when this goes away, whatever happened in between:
// for files a run writes and reads back itself. IoError when it cannot be made. Not copyable.
class ScratchDirectory {
 public:
  // `prefix` starts the directory's name (e.g. "hepex-demo").
  explicit ScratchDirectory(const std::string& prefix);
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  ~ScratchDirectory();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A regular file open for reading at offsets (pread, safe from several threads at once): for a reader that
// takes a large file part by part instead of holding it whole. The descriptor stays open, so a rename or
// unlink of the path does not affect it. Movable, not copyable.
class ReadOnlyFile {
 public:
  // IoError naming the path when it cannot be opened or is not a regular file; FormatError when it is
  // larger than max_bytes.
  explicit ReadOnlyFile(const std::string& path, std::uint64_t max_bytes = kMaxFileBytes);
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  std::uint64_t size() const { return size_; }  // when opened
  const std::string& path() const { return path_; }
  // n bytes at `offset` into `out`; IoError naming the file when they cannot all be read (e.g. it shrank) or
  // the file was written in place since it was opened (size or modification time changed: a reader that
  // checked its digest at the start would otherwise take bytes it never checked). A file replaced by a
  // rename is not affected: the descriptor keeps the one opened.
  void read_at(std::uint64_t offset, void* out, std::size_t n) const;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::int64_t mtime_ns_ = 0;  // when opened
  std::string path_;
};

}  // namespace hepex::io
