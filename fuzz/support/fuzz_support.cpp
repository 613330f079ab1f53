#include "fuzz_support.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "ckks/params.hpp"

namespace hepex::fuzz {

const std::shared_ptr<const ckks::CkksContext>& context() {
  static const auto ctx = ckks::CkksContext::create(
      ckks::CkksParameters::create(64, 50, 40, 1, 1, ckks::SecurityLevel::kInsecureForTestsOnly));
  return ctx;
}

MemoryFile::MemoryFile(const std::uint8_t* data, std::size_t size) {
  fd_ = ::memfd_create("hepex-fuzz", MFD_CLOEXEC);
  if (fd_ < 0) std::abort();  // the harness itself is broken, not the loader
  for (std::size_t done = 0; done < size;) {
    const auto n = ::write(fd_, data + done, size - done);
    if (n <= 0) std::abort();
    done += std::size_t(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemoryFile::~MemoryFile() { ::close(fd_); }

}  // namespace hepex::fuzz
