// `hepex serve` and `hepex client` as processes: the client's output equals `hepex predict` within CKKS
// precision, keys are uploaded once, failures leave no output file, and SIGTERM stops the server cleanly.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "cli_runner.hpp"
#include "infer/files.hpp"

extern char** environ;

using namespace hepex::cli_test;

namespace {

// `hepex serve ...` in the background, its stdout and stderr in files; stopped (SIGKILL) if still running.
struct ServeProcess {
  pid_t pid = -1;
  fs::path out, err;
  ServeProcess(const std::vector<std::string>& args, const TempDir& d) : out(d.path / "serve.out"), err(d.path / "serve.err") {
    std::vector<std::string> a{HEPEX_CLI_PATH, "serve"};
    a.insert(a.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::setenv("OMP_NUM_THREADS", "1", 1);
    EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  // The address from "listening on HOST:PORT", waiting up to 60 s; empty if the server did not come up.
  std::string address() {
    const std::regex re("listening on (127\\.0\\.0\\.1:[0-9]+)");
    for (int i = 0; i < 600; ++i) {
      std::smatch m;
      const std::string text = read_text(out);
      if (std::regex_search(text, m, re)) return m[1];
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "hepex serve did not start: " << read_text(out) << read_text(err);
    return "";
  }
  // Sends SIGTERM and returns the exit status (-1 unless it exited within 30 s).
  int terminate() {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }
  ~ServeProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST(CliService, ClientThroughServeEqualsPredictAndSigtermStopsTheServer) {
  TempDir d;
  write_idx_data(d.path / "data", 48, 16, 4, 4, 1);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ServeProcess serve({"-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "--port", "0", "--store", d / "store"}, d);
  const std::string addr = serve.address();
  ASSERT_FALSE(addr.empty());

  const auto ping = run_hepex({"client", "--server", addr, "--ping"});
  EXPECT_EQ(ping.rc, 0) << ping.all();
  EXPECT_NE(ping.out.find("0 running"), std::string::npos) << ping.out;

  const std::string images = d / "data/t10k-images-idx3-ubyte";
  const auto first = run_hepex({"client", "--server", addr, "--keys", d / "keys", "-i", images, "--offset", "3", "--count",
                                "5", "-o", d / "y.npy", "--report", d / "r.json"});
  ASSERT_EQ(first.rc, 0) << first.all();
  EXPECT_NE(first.out.find("generated and uploaded"), std::string::npos) << first.out;
  ASSERT_EQ(run_hepex({"predict", "-m", d / "m.hpx", "-i", images, "--offset", "3", "--count", "5", "-o", d / "p.npy"}).rc, 0);
  const auto y = hepex::infer::load_npy(d / "y.npy"), p = hepex::infer::load_npy(d / "p.npy");
  ASSERT_EQ(y.rows, 5u);
  ASSERT_EQ(y.cols, 16u);
  ASSERT_EQ(y.values.size(), p.values.size());
  double err = 0;
  for (std::size_t i = 0; i < y.values.size(); ++i) err = std::max(err, std::abs(y.values[i] - p.values[i]));
  EXPECT_LT(err, 1e-3);
  const std::string report = read_text(d / "r.json");
  EXPECT_NE(report.find("\"uploaded_keys\": true"), std::string::npos) << report;
  EXPECT_NE(report.find("\"layers\""), std::string::npos) << report;

  const auto again = run_hepex({"client", "--server", addr, "--keys", d / "keys", "-i", images, "--count", "2", "-o",
                                d / "y2.npy"});
  EXPECT_EQ(again.rc, 0) << again.all();
  EXPECT_NE(again.out.find("keys reused,"), std::string::npos) << again.out;

  // Failures: one message, exit 1, no output file.
  const auto too_many = run_hepex({"client", "--server", addr, "--keys", d / "keys", "-i", images, "--count", "9", "-o",
                                   d / "z.npy"});
  EXPECT_EQ(too_many.rc, 1) << too_many.all();
  EXPECT_FALSE(fs::exists(d.path / "z.npy"));
  // Keys made with `hepex keygen` for another plan (batch 4): refused, the keys left alone.
  ASSERT_EQ(run_hepex({"plan", "-m", d / "m.hpx", "--tile", "4x4", "--batch", "4", "-o", d / "p4.json"}).rc, 0);
  ASSERT_EQ(run_hepex({"keygen", "--plan", d / "p4.json", "-o", d / "keys4"}).rc, 0);
  const auto other = run_hepex({"client", "--server", addr, "--keys", d / "keys4", "-i", images, "--count", "2", "-o",
                                d / "z.npy"});
  EXPECT_EQ(other.rc, 1) << other.all();
  EXPECT_NE(other.err.find("another plan"), std::string::npos) << other.err;
  EXPECT_FALSE(fs::exists(d.path / "z.npy"));
  EXPECT_FALSE(fs::exists(d.path / "keys4" / "service.json"));  // nothing uploaded

  EXPECT_EQ(serve.terminate(), 0);
  const std::string out = read_text(serve.out), log = read_text(serve.err);
  EXPECT_NE(out.find("SIGTERM: draining"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped"), std::string::npos) << out;
  EXPECT_NE(log.find("Infer key="), std::string::npos) << log;
  EXPECT_EQ(log.find("batch=9"), std::string::npos) << log;  // refused by the client before sending

  const auto down = run_hepex({"client", "--server", addr, "--keys", d / "keys", "-i", images, "--timeout", "5", "-o",
                               d / "z.npy"});
  EXPECT_EQ(down.rc, 1) << down.all();
  EXPECT_NE(down.err.find("UNAVAILABLE"), std::string::npos) << down.err;
  EXPECT_FALSE(fs::exists(d.path / "z.npy"));
}

// TLS (grpc's own): a client that trusts the server's self-signed certificate gets the plaintext model's
// outputs; a client without TLS is refused and writes nothing.
TEST(CliService, TlsClientEqualsPredictAndAPlaintextClientIsRefused) {
  TempDir d;
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI to make a test certificate";
  const std::string make_cert = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                                "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + quoted(d / "key.pem") +
                                " -out " + quoted(d / "cert.pem") + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << make_cert;
  write_idx_data(d.path / "data", 48, 16, 4, 4, 2);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ServeProcess serve({"-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "--port", "0", "--store", d / "store",
                      "--tls-cert", d / "cert.pem", "--tls-key", d / "key.pem"}, d);
  const std::string addr = serve.address();
  ASSERT_FALSE(addr.empty());
  EXPECT_NE(read_text(serve.out).find("with TLS"), std::string::npos) << read_text(serve.out);

  const std::string images = d / "data/t10k-images-idx3-ubyte";
  const auto tls = run_hepex({"client", "--server", addr, "--tls-ca", d / "cert.pem", "--keys", d / "keys", "-i",
                              images, "--count", "6", "-o", d / "y.npy"});
  ASSERT_EQ(tls.rc, 0) << tls.all();
  ASSERT_EQ(run_hepex({"predict", "-m", d / "m.hpx", "-i", images, "--count", "6", "-o", d / "p.npy"}).rc, 0);
  const auto y = hepex::infer::load_npy(d / "y.npy"), p = hepex::infer::load_npy(d / "p.npy");
  ASSERT_EQ(y.values.size(), p.values.size());
  ASSERT_EQ(y.rows, 6u);
  for (std::size_t i = 0; i < y.values.size(); ++i) EXPECT_NEAR(y.values[i], p.values[i], 1e-3) << i;

  // Without --tls-ca the client speaks plaintext HTTP/2 to a TLS port: refused, nothing written.
  const auto plain = run_hepex({"client", "--server", addr, "--keys", d / "keys", "-i", images, "--count", "6",
                                "--timeout", "10", "-o", d / "z.npy"});
  EXPECT_EQ(plain.rc, 1) << plain.all();
  EXPECT_FALSE(fs::exists(d.path / "z.npy"));
  const auto ping = run_hepex({"client", "--server", addr, "--ping", "--timeout", "10"});
  EXPECT_EQ(ping.rc, 1) << ping.all();
  EXPECT_EQ(serve.terminate(), 0);
}
