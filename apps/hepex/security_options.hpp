#pragma once
// Options the client and server verbs share about trust: the explicit, tests-only switch that accepts a
// plan below 128-bit security, and the verdict every verb that builds CKKS parameters prints.
#include <CLI/CLI.hpp>

#include <string>

#include "infer/keys.hpp"

namespace hepex::cli {

// Adds --allow-insecure to `sub`.
void add_allow_insecure(CLI::App* sub, bool& flag);
infer::SecurityPolicy security_policy(bool allow_insecure);
// "security: 128-bit (HE Standard): N = ..., log QP = ... <= ..." on stderr (unless --quiet).
void print_security_verdict(const ckks::CkksContext& ctx);

}  // namespace hepex::cli
