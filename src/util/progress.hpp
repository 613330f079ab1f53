#pragma once
// A progress line that knows whether it writes to a terminal:
//   terminal: one line, rewritten in place ("\r" + text + clear-to-end-of-line); finish() ends it.
//   pipe/file: update() prints nothing, step() prints one line per call (logs stay readable).
//   quiet: prints nothing.
#include <cstdio>
#include <string>

namespace hepex {

class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out = stderr, bool quiet = false);
  // Same, with the terminal test decided by the caller (tests).
  ProgressLine(std::FILE* out, bool quiet, bool is_terminal);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Transient state (e.g. within an epoch): shown on a terminal only.
  void update(const std::string& text);
  // A milestone (e.g. an epoch finished): replaces the line on a terminal, one line otherwise.
  void step(const std::string& text);
  // Ends the terminal line (idempotent; the destructor calls it).
  void finish();

  bool is_terminal() const { return tty_; }

 private:
  std::FILE* out_;
  bool quiet_;
  bool tty_;
  bool open_ = false;  // a terminal line is showing and not yet ended
};

}  // namespace hepex
