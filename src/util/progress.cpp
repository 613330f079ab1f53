#include "util/progress.hpp"

#include <unistd.h>

namespace hepex {

ProgressLine::ProgressLine(std::FILE* out, bool quiet) : ProgressLine(out, quiet, isatty(fileno(out)) != 0) {}

ProgressLine::ProgressLine(std::FILE* out, bool quiet, bool is_terminal)
    : out_(out), quiet_(quiet), tty_(is_terminal) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(const std::string& text) {
  if (quiet_ || !tty_) return;
  std::fprintf(out_, "\r%s\x1b[K", text.c_str());
  std::fflush(out_);
  open_ = true;
}

void ProgressLine::step(const std::string& text) {
  if (quiet_) return;
  if (tty_) {
    update(text);
  } else {
    std::fflush(stdout);  // results printed so far come first when both streams go to one pipe or file
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
  }
}

void ProgressLine::finish() {
  if (!open_) return;
  std::fprintf(out_, "\n");
  std::fflush(out_);
  open_ = false;
}

}  // namespace hepex
