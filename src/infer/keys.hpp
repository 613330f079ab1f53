#pragma once
// Keys and files of a deployment, made from a plan.
//
// A keys directory holds:
//   plan.json     the plan (no secret: the client packs with it, the server checks against it)
//   secret.key    client only
//   public.key    encryption key
//   eval.keys     what the server reads: relinearization key + Galois keys for the plan's rotation steps
//                 only (hepex header, object type kEvalKeys, parameter hash; two length-prefixed blobs in
//                 the ckks/serialize.hpp formats, each validated against the parameters)
// The CKKS parameters are rebuilt from the plan (deterministic prime choice); every file's parameter hash
// is checked against them, so keys made for another plan are refused.
#include <memory>
#include <optional>
#include <string>

#include "backend/ckks_backend.hpp"
#include "ckks/context.hpp"
#include "ckks/params.hpp"
#include "infer/plan.hpp"
#include "util/csprng.hpp"

namespace hepex::infer {

ckks::CkksParameters plan_parameters(const Plan& plan);
std::shared_ptr<const ckks::CkksContext> plan_context(const Plan& plan);

// Fresh keys for the plan: secret, public, relinearization and the plan's Galois keys (no conjugation).
// `seed`: reproducible keys for tests and experiments only.
backend::CkksKeys generate_keys(const std::shared_ptr<const ckks::CkksContext>& ctx, const Plan& plan,
                                const std::optional<Seed>& seed = std::nullopt);

// Server-side keys (no secret key) of a full key set.
backend::CkksKeys server_keys(const backend::CkksKeys& keys);

// Evaluation keys file (relin + Galois).
void save_eval_keys(const std::string& path, const backend::CkksKeys& keys);
backend::CkksKeys load_eval_keys(const ckks::CkksContext& ctx, const std::string& path);

// The whole directory: plan.json, secret.key, public.key, eval.keys.
void save_key_dir(const std::string& dir, const Plan& plan, const backend::CkksKeys& keys);
// Client side: the plan and the keys present (secret.key / public.key may be missing; no eval keys).
struct ClientKeys {
  Plan plan;
  std::shared_ptr<const ckks::CkksContext> ctx;
  backend::CkksKeys keys;
};
ClientKeys load_client_keys(const std::string& dir, bool need_secret);

// Bytes of a file (0 when missing).
std::size_t file_bytes(const std::string& path);

}  // namespace hepex::infer
