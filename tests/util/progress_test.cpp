// ProgressLine: in-place updates on a terminal, one line per step otherwise, nothing when quiet.
#include "util/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {
// Runs fn with a ProgressLine writing to a temporary file, returns what was written.
template <class Fn>
std::string capture(bool quiet, bool tty, Fn fn) {
  std::FILE* f = std::tmpfile();
  {
    hepex::ProgressLine p(f, quiet, tty);
    fn(p);
  }
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;) out += char(c);
  std::fclose(f);
  return out;
}

void script(hepex::ProgressLine& p) {
  p.update("batch 1");
  p.step("epoch 1");
  p.update("batch 2");
  p.step("epoch 2");
}
}  // namespace

TEST(ProgressLine, TerminalRewritesOneLine) {
  const std::string out = capture(false, true, script);
  EXPECT_EQ(out, "\rbatch 1\x1b[K\repoch 1\x1b[K\rbatch 2\x1b[K\repoch 2\x1b[K\n");
}

TEST(ProgressLine, PipePrintsOneLinePerStep) {
  EXPECT_EQ(capture(false, false, script), "epoch 1\nepoch 2\n");
}

TEST(ProgressLine, QuietPrintsNothing) {
  EXPECT_EQ(capture(true, true, script), "");
  EXPECT_EQ(capture(true, false, script), "");
}

TEST(ProgressLine, FinishEndsTheTerminalLineOnce) {
  const std::string out = capture(false, true, [](hepex::ProgressLine& p) {
    p.step("a");
    p.finish();
    p.finish();
  });
  EXPECT_EQ(out, "\ra\x1b[K\n");
}
