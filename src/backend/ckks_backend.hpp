#pragma once
// CkksBackend: the Backend interface on the real RNS-CKKS engine (src/ckks), every operation mapped 1:1 to
// the engine (encode -> CkksEncoder at the given level and scale over all N/2 slots, or a CompactPlaintext
// when the slots repeat with a short period (backend.hpp: compact_period), rotate ->
// Evaluator::rotate, rotate_many -> Evaluator::rotate_hoisted, decode/decrypt -> real parts of the slots).
//
// Key material is split the way a client/server deployment holds it; every key is optional:
//   client  secret (+ public) key: encode, encrypt, decrypt, decode;
//   server  public, relinearization and Galois keys, never the secret key: evaluates, refuses to decrypt.
// An operation whose key is missing throws InvalidArgument naming the operation and the key; a rotation
// step that no Galois key reaches, directly or composed through its non-adjacent form, throws
// InvalidArgument naming the step (the evaluator's message).
//
// Rules and error kinds are those of SimBackend (backend.hpp): level and scale mismatches are
// MismatchError, a scale that outgrows the modulus at its level, a rescale at level 0 or a product of a
// 3-part ciphertext are InvalidArgument, handles of another backend are MismatchError.
//
// Threads: every method is const and safe to call concurrently (the evaluator, encoder and decryptor are
// stateless; encryption draws from a pool of encryptors, one per concurrent caller). The engine
// parallelizes inside each operation with OpenMP; inside the tile layer's OpenMP loop over tiles those
// inner regions run on one thread, because nested parallelism is off by default (max-active-levels 1) —
// keep it off (do not set OMP_MAX_ACTIVE_LEVELS > 1 or OMP_NESTED=true). Callers that run the backend
// from their own std::threads should set omp_set_num_threads(1) in those threads to avoid oversubscription.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "backend/sim_params.hpp"
#include "ckks/ciphertext.hpp"
#include "ckks/context.hpp"
#include "ckks/decryptor.hpp"
#include "ckks/encoder.hpp"
#include "ckks/evaluator.hpp"
#include "ckks/keys.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::backend {

// The keys one side of a deployment holds; any of them may be absent.
struct CkksKeys {
  std::shared_ptr<const ckks::SecretKey> secret;  // client only
  std::shared_ptr<const ckks::PublicKey> pub;
  std::shared_ptr<const ckks::RelinKey> relin;
  std::shared_ptr<const ckks::GaloisKeys> galois;
  io::KeyId id{};       // the key set (ckks::key_set_id), zero when unknown
  std::string source;   // where the keys came from (a file or directory), for messages
};

// The simulator parameters of these CKKS parameters (exact primes, default scale, special primes): a
// SimBackend built from them tracks levels, scales and bytes exactly as a CkksBackend on them does.
SimParams sim_params_for(const ckks::CkksParameters& params);

class CkksBackend final : public Backend {
 public:
  // Throws MismatchError if a key belongs to other parameters than `ctx`, InvalidArgument if ctx is null.
  CkksBackend(std::shared_ptr<const ckks::CkksContext> ctx, CkksKeys keys);
  ~CkksBackend() override;
  CkksBackend(const CkksBackend&) = delete;
  CkksBackend& operator=(const CkksBackend&) = delete;

  const ckks::CkksContext& context() const { return *ctx_; }
  const std::shared_ptr<const ckks::CkksContext>& shared_context() const { return ctx_; }
  const CkksKeys& keys() const { return keys_; }
  bool can_encrypt() const { return keys_.pub || keys_.secret; }
  bool can_decrypt() const { return keys_.secret != nullptr; }
  // Flood every later decryption with noise of `bits` bits (ckks/decryptor.hpp; 0: off). Set it before
  // decrypting, not while other threads decrypt.
  void set_decryption_flooding(int bits);

  // --- engine objects <-> handles (the CLI loads/saves ciphertexts with ckks/serialize.hpp).
  // wrap checks the object: non-empty, same parameters (MismatchError), all N/2 slots (MismatchError).
  Ciphertext wrap(ckks::Ciphertext ct) const;
  Plaintext wrap(ckks::Plaintext pt) const;
  std::vector<Ciphertext> wrap_batch(std::vector<ckks::Ciphertext> batch) const;
  // The engine object behind a handle (InvalidArgument if empty, MismatchError if made by another backend).
  const ckks::Ciphertext& unwrap(const Ciphertext& ct) const;
  // A plaintext's engine object in full (a compact one expanded: compact_period in backend.hpp).
  ckks::Plaintext unwrap(const Plaintext& pt) const;
  // Copies, contiguous as ckks::save(path, span) wants them.
  std::vector<ckks::Ciphertext> unwrap_batch(std::span<const Ciphertext> batch) const;

  // --- Backend
  std::size_t slot_count() const override { return ctx_->n() / 2; }
  int max_level() const override { return static_cast<int>(ctx_->max_level()); }
  double default_scale() const override { return ctx_->params().default_scale(); }
  double modulus_at(int level) const override;

  Plaintext encode(std::span<const double> values, int level, double scale) const override;
  std::vector<double> decode(const Plaintext& pt) const override;
  Ciphertext encrypt(const Plaintext& pt) const override;
  std::vector<double> decrypt(const Ciphertext& ct) const override;

  int level(const Ciphertext& ct) const override;
  double scale(const Ciphertext& ct) const override;
  int size(const Ciphertext& ct) const override;
  int level(const Plaintext& pt) const override;
  double scale(const Plaintext& pt) const override;
  std::size_t byte_size(const Ciphertext& ct) const override;
  std::size_t byte_size(const Plaintext& pt) const override;

  Ciphertext add(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext add_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext sub_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext square(const Ciphertext& a) const override;
  Ciphertext relinearize(const Ciphertext& a) const override;
  Ciphertext multiply_const(const Ciphertext& a, double value, double const_scale) const override;
  Ciphertext rescale(const Ciphertext& a) const override;
  Ciphertext drop_to_level(const Ciphertext& a, int level) const override;
  Ciphertext rotate(const Ciphertext& a, int step) const override;
  std::vector<Ciphertext> rotate_many(const Ciphertext& a, std::span<const int> steps) const override;
  Ciphertext rotate_sum(const Ciphertext& a, std::span<const int> steps) const override;
  // Evaluator::multiply_plain_sums: one call for all outputs, parallel inside (call it from one thread).
  std::vector<Ciphertext> multiply_plain_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                              std::size_t terms) const override;
  // The same kernel adding into each running sum in place (ckks::ProductSum::into) where its handle is the
  // only one: the products' sums are never held beside the running sums.
  void add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                              std::span<const Plaintext> pts, std::size_t terms) const override;
  // In place where `a` is its object's only handle (no allocation), else out of place.
  void add_inplace(Ciphertext& a, const Ciphertext& b) const override;
  void add_plain_inplace(Ciphertext& a, const Plaintext& b) const override;
  void multiply_plain_inplace(Ciphertext& a, const Plaintext& b) const override;
  void rescale_inplace(Ciphertext& a) const override;
  // Through Evaluator::add_rotated_inplace (no new ciphertext) when `a` is its object's only handle.
  void add_rotated_inplace(Ciphertext& a, int step) const override;

 private:
  struct Ct;
  struct Pt;
  class EncryptorPool;

  const ckks::Ciphertext& ct_of(const Ciphertext& c, const char* who) const;
  const Pt& pt_of(const Plaintext& p, const char* who) const;
  ckks::Plaintext full_of(const Plaintext& p, const char* who) const;  // expanded when held compact
  void add_plain_to(ckks::Ciphertext& x, const Pt& y) const;
  Ciphertext make(ckks::Ciphertext ct) const;
  // The engine object behind `a` when `a` is its only handle (it may be updated in place), else nullptr.
  ckks::Ciphertext* sole(Ciphertext& a, const char* who) const;
  // The kernel's sums of pairs [j terms, (j + 1) terms), each pair checked (`who` names the caller).
  std::vector<ckks::ProductSum> product_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                             std::size_t terms, const char* who) const;
  void check_level(int level, const char* who) const;
  void check_scale_fits(double scale, std::size_t level, const char* who) const;
  void check_linear(const ckks::Ciphertext& ct, const char* who) const;
  // A product's scale must fit the modulus at the ciphertext's level (a too-low plaintext is the evaluator's error).
  void check_product_fits(const ckks::Ciphertext& x, const Pt& y, const char* who) const;
  const ckks::RelinKey& relin_key(const char* who) const;
  const ckks::GaloisKeys& galois_keys(const char* who) const;
  bool is_identity_step(long long step) const;

  std::shared_ptr<const ckks::CkksContext> ctx_;
  CkksKeys keys_;
  ckks::CkksEncoder encoder_;
  ckks::Evaluator evaluator_;
  std::unique_ptr<const ckks::Decryptor> decryptor_;  // only with the secret key
  std::unique_ptr<EncryptorPool> encryptors_;         // only with a public or secret key
  std::vector<double> log2_modulus_prefix_;           // log2(q_0 * ... * q_l)
  int flood_bits_ = 0;
};

}  // namespace hepex::backend
