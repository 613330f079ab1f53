#pragma once
// Keys and files of a deployment, made from a plan.
//
// A keys directory (mode 0700 when keygen creates it) holds:
//   plan.json     the plan, with the key set's identity added ("key_set"): the client packs with it
//   secret.key    client only, mode 0600
//   public.key    encryption key
//   eval.keys     what the server reads: relinearization key + Galois keys for the plan's rotation steps
//                 only (hepex header, object type kEvalKeys, parameter hash, key set id; two length-prefixed
//                 blobs in the ckks/serialize.hpp formats, each validated against the parameters)
// The CKKS parameters are rebuilt from the plan (deterministic prime choice); every file's parameter hash
// is checked against them, so keys made for another plan are refused. Every file of a key set carries its
// identity (ckks::key_set_id of the public key), so keys and ciphertexts of two keygens are never mixed.
//
// Security: the plan is written by the server's side, so a client never trusts its "secure" flag:
// plan_parameters enforces the 128-bit HE Standard bound unless the caller itself allows insecure
// parameters (tests only).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "ckks/context.hpp"
#include "ckks/params.hpp"
#include "ckks/serialize.hpp"
#include "infer/compiled.hpp"
#include "infer/plan.hpp"
#include "util/csprng.hpp"

namespace hepex::infer {

// What the caller accepts, whatever the plan says.
enum class SecurityPolicy {
  kRequire128Bit,             // the default of every verb
  kAllowInsecureForTestsOnly  // `--allow-insecure`: small rings in tests
};

// Throws SecurityError naming `plan_name` when the plan's chain is not 128-bit secure and the policy
// requires it (also when the plan itself says "secure": false).
ckks::CkksParameters plan_parameters(const Plan& plan, SecurityPolicy policy = SecurityPolicy::kRequire128Bit,
                                     const std::string& plan_name = "plan");
std::shared_ptr<const ckks::CkksContext> plan_context(const Plan& plan,
                                                      SecurityPolicy policy = SecurityPolicy::kRequire128Bit,
                                                      const std::string& plan_name = "plan");
// One line on the security of the parameters, e.g. "128-bit (HE Standard): N = 16384, log QP = 398 <= 438".
std::string security_verdict(const ckks::CkksParameters& params);

// Fresh keys for the plan: secret, public, relinearization and the plan's Galois keys (no conjugation),
// with the key set id. `seed`: reproducible keys for tests and experiments only.
backend::CkksKeys generate_keys(const std::shared_ptr<const ckks::CkksContext>& ctx, const Plan& plan,
                                const std::optional<Seed>& seed = std::nullopt);

// Throws MismatchError naming `name` unless `keys` hold a relinearization key and a Galois key for every
// rotation step of the plan, each kept up to the level the plan uses it at (a key set made for another plan
// fails here, before any work, not halfway through an evaluation).
void check_eval_keys_cover(const Plan& plan, const ckks::CkksContext& ctx, const backend::CkksKeys& keys,
                           const std::string& name);

// Per layer, the Galois keys a server switches with while the layer runs, each with the highest level it is
// used at there: the layer's own rotations (layer_key_levels), and the rotated copies of a layer's outputs in
// the layer that makes them: the next one when `copies_on_read[l]` (Executor::copies_on_read), layer l
// otherwise. For keys on demand (open_eval_keys): GaloisKeys::hold_only before each layer.
std::vector<std::vector<ckks::GaloisKeys::Use>> layer_galois_keys(const Plan& plan, const CompiledNetwork& net,
                                                                   const ckks::CkksContext& ctx,
                                                                   const std::vector<bool>& copies_on_read);

// Server-side keys (no secret key) of a full key set.
backend::CkksKeys server_keys(const backend::CkksKeys& keys);

// Evaluation keys file (relin + Galois, with the key set id).
void save_eval_keys(const std::string& path, const backend::CkksKeys& keys);
// The same file's bytes in memory (integrity trailer included; io::unseal + parse_eval_keys read them).
std::vector<std::uint8_t> eval_keys_file_bytes(const backend::CkksKeys& keys);
backend::CkksKeys load_eval_keys(const ckks::CkksContext& ctx, const std::string& path);
// The same from the file's bytes without its integrity trailer (`name` prefixes every error). A server
// takes them ckks::KeyForm::kPackedForSwitching (KeySwitchKey::packed: 32-bit words for primes below 2^31,
// the polynomials dropped), each key packed as it is read.
backend::CkksKeys parse_eval_keys(const ckks::CkksContext& ctx, std::vector<std::uint8_t> bytes, const std::string& name,
                                  ckks::KeyForm form = ckks::KeyForm::kWhole);
// The file as a server reads it when it holds only the keys of the layer it evaluates: the digest checked in
// one pass, the relinearization key decoded (packed for switching), the Galois keys indexed (every key's
// framing checked) and decoded from disk when first asked for (ckks::GaloisKeys on demand, packed;
// GaloisKeys::hold_only between layers, layer_galois_keys). The file must not change while the keys
// are in use; each key is still checked as it is decoded.
backend::CkksKeys open_eval_keys(const ckks::CkksContext& ctx, const std::string& path);

// The whole directory: plan.json (with the key set id), secret.key, public.key, eval.keys. Refuses
// (IoError) to replace an existing secret.key unless `force`: ciphertexts in flight would become
// undecryptable.
void save_key_dir(const std::string& dir, const Plan& plan, const backend::CkksKeys& keys, bool force = false);
// Throws IoError naming the file unless save_key_dir(dir, .., force) can write (before keygen starts).
void check_key_dir_writable(const std::string& dir, bool force);
// Client side: the plan and the keys present (secret.key / public.key may be missing; no eval keys). The
// keys must belong to one key set, the one the plan names.
struct ClientKeys {
  Plan plan;
  std::shared_ptr<const ckks::CkksContext> ctx;
  backend::CkksKeys keys;
};
ClientKeys load_client_keys(const std::string& dir, bool need_secret,
                            SecurityPolicy policy = SecurityPolicy::kRequire128Bit);
// What load_client_keys checks, on key files already read (bytes without their integrity trailer, e.g.
// io::read_hepex_file or io::unseal; nullptr: absent): the keys must be one key set, the one the plan names
// when it names one. `secret_name`, `pub_name` name the files, `where` the keys as a whole, in errors.
struct KeyBodies {
  const std::vector<std::uint8_t>* secret = nullptr;
  const std::vector<std::uint8_t>* pub = nullptr;
  std::string secret_name = "secret key", pub_name = "public key";
};
backend::CkksKeys parse_client_keys(const ckks::CkksContext& ctx, const Plan& plan, const std::string& plan_name,
                                    const KeyBodies& files, const std::string& where);

// Bytes of a file (0 when missing).
std::size_t file_bytes(const std::string& path);

}  // namespace hepex::infer
