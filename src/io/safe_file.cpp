#include "io/safe_file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "util/error.hpp"

namespace hepex::io {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

std::int64_t modified_ns(const struct stat& st) {
  return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + std::int64_t(st.st_mtim.tv_nsec);
}

// Temporaries being written, removed by the signal handler. Slots hold malloc'ed C strings, so that the
// handler only reads pointers and calls unlink (async-signal-safe).
constexpr int kSlots = 64;
std::atomic<char*> g_temporaries[kSlots];

void remove_temporaries_and_die(int sig) {
  for (auto& slot : g_temporaries)
    if (char* p = slot.load()) unlink(p);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_signal_cleanup() {
  static const bool installed = [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      sigaction(sig, nullptr, &old);
      if (old.sa_handler != SIG_DFL) continue;  // somebody else handles it (or ignores it): leave it
      struct sigaction sa {};
      sa.sa_handler = remove_temporaries_and_die;
      sigemptyset(&sa.sa_mask);
      sigaction(sig, &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
}

// Creates the temporary and registers it for removal on a signal while it exists. The signals are blocked
// from before the file exists until it is registered, so no signal can leave it behind.
class Temporary {
 public:
  explicit Temporary(std::string pattern) : path_(std::move(pattern)) {
    install_signal_cleanup();
    sigset_t block, old;
    sigemptyset(&block);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    fd_ = mkostemp(path_.data(), O_CLOEXEC);  // O_CREAT | O_EXCL, mode 0600, random suffix
    const int error = errno;
    if (fd_ >= 0) {
      char* copy = strdup(path_.c_str());
      for (auto& slot : g_temporaries) {
        char* expected = nullptr;
        if (slot.compare_exchange_strong(expected, copy)) {
          slot_ = &slot;
          break;
        }
      }
      if (!slot_) std::free(copy);  // more than kSlots concurrent writes: this one is not cleaned up on a signal
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = error;
  }
  ~Temporary() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
    if (slot_) std::free(slot_->exchange(nullptr));
  }
  Temporary(const Temporary&) = delete;
  Temporary& operator=(const Temporary&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the descriptor; false (with errno) if close reports a failed write.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void renamed() { renamed_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool renamed_ = false;
  std::atomic<char*>* slot_ = nullptr;
};

mode_t shared_mode() {
  static const mode_t mode = [] {
    const mode_t mask = umask(0);
    umask(mask);
    return mode_t(0666 & ~mask);
  }();
  return mode;
}

void write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError(path + ": write failed: " + errno_text());
    }
    p += w;
    n -= std::size_t(w);
  }
}

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the file itself is already synced
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes, FileMode mode) {
  write_file_atomic(path, {bytes}, mode);
}

void write_file_atomic(const std::string& path, std::initializer_list<std::span<const std::uint8_t>> parts,
                       FileMode mode) {
  const fs::path target(path);
  if (target.filename().empty()) throw IoError(path + ": not a file name");
  const fs::path dir = target.parent_path();
  Temporary tmp((dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string());
  if (tmp.fd() < 0) throw IoError(path + ": cannot create a temporary file in its directory: " + errno_text());
  for (const auto& part : parts) write_all(tmp.fd(), part.data(), part.size(), path);
  if (mode == FileMode::kShared && ::fchmod(tmp.fd(), shared_mode()) != 0)
    throw IoError(path + ": cannot set the file mode: " + errno_text());
  if (::fsync(tmp.fd()) != 0) throw IoError(path + ": fsync failed (disk full?): " + errno_text());
  if (!tmp.close()) throw IoError(path + ": close failed: " + errno_text());
  if (std::rename(tmp.path().c_str(), path.c_str()) != 0)
    throw IoError(path + ": cannot move the finished file into place: " + errno_text());
  tmp.renamed();
  fsync_directory(dir);
}

void write_file_atomic(const std::string& path, std::string_view text, FileMode mode) {
  write_file_atomic(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}

void check_destination(const std::string& path) {
  const fs::path target(path);
  std::error_code ec;
  if (path.empty() || target.filename().empty()) throw IoError("'" + path + "': not a file name");
  if (fs::is_directory(target, ec)) throw IoError(path + ": is a directory, expected a file name");
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (!fs::is_directory(dir, ec)) throw IoError(path + ": the directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw IoError(path + ": the directory " + dir.string() + " is not writable: " + errno_text());
}

void check_not_exists(const std::string& path, bool force, const std::string& what) {
  std::error_code ec;
  if (!force && fs::exists(fs::symlink_status(path, ec)))
    throw IoError(path + ": " + what + " exists already; refusing to replace it (--force replaces it)");
}

void create_directory(const std::string& dir, unsigned mode) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create the directory " + parent.string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), mode_t(mode)) != 0 && errno != EEXIST)
    throw IoError("cannot create the directory " + dir + ": " + errno_text());
  if (!fs::is_directory(dir, ec)) throw IoError(dir + ": exists and is not a directory");
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::uint64_t max_bytes) {
  const ReadOnlyFile file(path, max_bytes);
  std::vector<std::uint8_t> bytes(file.size());
  file.read_at(0, bytes.data(), bytes.size());
  return bytes;
}

std::vector<std::uint8_t> read_file_prefix(const std::string& path, std::size_t n) {
  const ReadOnlyFile file(path);
  std::vector<std::uint8_t> head(std::min<std::uint64_t>(n, file.size()));
  file.read_at(0, head.data(), head.size());
  return head;
}

ScratchDirectory::ScratchDirectory(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw IoError(pattern + ": cannot create a temporary directory: " + errno_text());
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

ReadOnlyFile::ReadOnlyFile(const std::string& path, std::uint64_t max_bytes) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw IoError(path + ": cannot open for reading: " + errno_text());
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw IoError(path + ": not a regular file");
  }
  size_ = std::uint64_t(st.st_size);
  mtime_ns_ = modified_ns(st);
  if (size_ > max_bytes) {
    ::close(fd_);
    throw FormatError(path + ": " + std::to_string(size_) + " bytes, more than the " + std::to_string(max_bytes) +
                      " this kind of file may have");
  }
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), mtime_ns_(other.mtime_ns_), path_(std::move(other.path_)) {}

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    mtime_ns_ = other.mtime_ns_;
    path_ = std::move(other.path_);
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ReadOnlyFile::read_at(std::uint64_t offset, void* out, std::size_t n) const {
  auto* p = static_cast<std::uint8_t*>(out);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, p + done, n - done, off_t(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      throw IoError(path_ + ": read failed at byte " + std::to_string(offset + done) +
                    (r < 0 ? ": " + errno_text() : std::string(" (the file shrank)")));
    done += std::size_t(r);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || std::uint64_t(st.st_size) != size_ || modified_ns(st) != mtime_ns_)
    throw IoError(path_ + ": changed while being read (written in place since it was opened)");
}

}  // namespace hepex::io
