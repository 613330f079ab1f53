#pragma once
// hepex::Client — the data owner's side of an encrypted inference. It holds the plan and the key set
// (the secret key never leaves it unless the caller asks for secret_key() or save_keys()), encrypts
// samples for the server and decrypts what the server sends back.
//
//   Client c = Client::from_plan_file("plan.json");      // or Client(plan), Client::from_plan_bytes(...)
//   c.generate_keys();                                     // or Client::load_keys("keys/") after `hepex keygen`
//   send(c.plan_bytes(), c.eval_keys());                   // the server's share: no secret in it
//   Bytes x = c.encrypt(samples);                          // rows x input width, original feature order
//   Samples y = c.decrypt(server_reply, samples.rows);     // rows x output width, original order
//
// Every byte form has a stream form (std::istream / std::ostream) with the same checks: session/bytes.hpp.
//
// Bytes are the bytes of the corresponding files (session/bytes.hpp): plan.json, eval.keys, secret.key,
// public.key, and the ciphertext files of `hepex encrypt` / `hepex infer`, so files and bytes mix freely
// with the CLI. Every check of the CLI's client verbs applies: the plan's CKKS parameters must be 128-bit
// secure (unless the policy allows test parameters), keys and ciphertexts of another key set are refused,
// and the server's outputs are checked for level, scale and range before they are returned.
//
// Errors: hepex::Error subclasses (util/error.hpp) naming the object and what is wrong. A Client is movable,
// not copyable; its const methods may be called from several threads.
#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "backend/ckks_backend.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "session/bytes.hpp"
#include "util/csprng.hpp"

namespace hepex {

// Samples in rows: rows x cols doubles, row-major (infer/files.hpp).
using Samples = infer::Samples;
using infer::SecurityPolicy;

class Client {
 public:
  // A client for `plan` without keys yet. Throws SecurityError unless the plan's parameters are 128-bit
  // secure (or `policy` allows test parameters); `plan_name` names the plan in errors.
  explicit Client(infer::Plan plan, SecurityPolicy policy = SecurityPolicy::kRequire128Bit,
                  const std::string& plan_name = "plan");
  static Client from_plan_file(const std::string& path, SecurityPolicy policy = SecurityPolicy::kRequire128Bit);
  static Client from_plan_bytes(std::span<const std::uint8_t> plan, const std::string& name = "plan",
                                SecurityPolicy policy = SecurityPolicy::kRequire128Bit);
  // A keys directory of save_keys() or `hepex keygen`: plan.json and secret.key and/or public.key (a
  // directory without secret.key encrypts with the public key and cannot decrypt). `need_secret`: refuse a
  // directory without secret.key at once (IoError).
  static Client load_keys(const std::string& dir, SecurityPolicy policy = SecurityPolicy::kRequire128Bit,
                          bool need_secret = false);
  // The same from bytes: the plan (plan_bytes() of the client that made the keys), secret_key() and/or
  // public_key() (either may be empty).
  static Client from_key_bytes(std::span<const std::uint8_t> plan, const Bytes& secret_key, const Bytes& public_key,
                               SecurityPolicy policy = SecurityPolicy::kRequire128Bit);
  // The same from streams (session/bytes.hpp); `secret_key` / `public_key` may be null (not both).
  static Client from_plan_stream(std::istream& plan, const std::string& name = "plan",
                                 SecurityPolicy policy = SecurityPolicy::kRequire128Bit);
  static Client from_key_streams(std::istream& plan, std::istream* secret_key, std::istream* public_key,
                                 SecurityPolicy policy = SecurityPolicy::kRequire128Bit);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // Fresh keys for the plan (secret, public, relinearization, the plan's rotations), replacing any held.
  // `seed`: reproducible keys, for tests only.
  void generate_keys(const std::optional<Seed>& seed = std::nullopt);
  // Writes plan.json, secret.key (0600), public.key and eval.keys into `dir` (created 0700) as `hepex keygen`
  // does; refuses (IoError) to replace a secret.key unless `force`. Needs generated keys.
  void save_keys(const std::string& dir, bool force = false) const;

  bool has_keys() const;
  bool has_secret_key() const;
  // The plan; after generate_keys() or a load it names the key set (what the server must be given).
  const infer::Plan& plan() const { return plan_; }
  Bytes plan_bytes() const;
  // The server's keys: eval.keys (relinearization + the plan's rotations, no secret). Only after
  // generate_keys() (a loaded keys directory has them in its eval.keys file).
  Bytes eval_keys() const;
  Bytes public_key() const;
  Bytes secret_key() const;  // keep it: whoever holds it decrypts everything
  io::KeyId key_set_id() const;
  const ckks::CkksContext& context() const { return *ctx_; }
  // "128-bit (HE Standard): N = 16384, log QP = 398 <= 438" (or why not).
  std::string security_verdict() const;

  // Encrypts rows (1 .. plan().batch rows of plan().input_size finite values, original order): the
  // ciphertext file's bytes. Secret-key encryption (seeded, half the size) when the secret key is held.
  Bytes encrypt(const Samples& samples) const;
  void encrypt_to_file(const Samples& samples, const std::string& path) const;
  void encrypt(const Samples& samples, std::ostream& out) const;
  // Decrypts the server's output: the first `rows` samples (0: the plan's batch), output_size columns,
  // original order. Throws IoError without the secret key, MismatchError / FormatError for outputs that
  // are not what the plan promises (docs in infer/client.hpp). `name` prefixes errors.
  Samples decrypt(const Bytes& output, std::size_t rows = 0, const std::string& name = "output ciphertexts") const;
  Samples decrypt_file(const std::string& path, std::size_t rows = 0) const;
  Samples decrypt(std::istream& output, std::size_t rows = 0, const std::string& name = "output ciphertexts") const;
  // Adds uniform noise of `bits` bits to every later decryption (0: off); see README, "What a client must
  // never send back".
  void set_decryption_flooding(int bits);

 private:
  Client(infer::Plan plan, std::shared_ptr<const ckks::CkksContext> ctx, backend::CkksKeys keys);
  void set_keys(backend::CkksKeys keys);
  const backend::CkksBackend& backend(const char* who) const;
  // InvalidArgument / MismatchError naming what is wrong with the samples (count, width, values).
  void check_samples(const Samples& samples) const;
  Samples decrypted(const tile::CipherTileTensor& y, std::size_t rows) const;

  infer::Plan plan_;
  std::shared_ptr<const ckks::CkksContext> ctx_;
  backend::CkksKeys keys_;
  std::unique_ptr<backend::CkksBackend> be_;  // null until keys are held
  int flood_bits_ = 0;
};

}  // namespace hepex
