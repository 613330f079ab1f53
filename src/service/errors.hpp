#pragma once
// Errors of the service, beyond util/error.hpp's, and their mapping onto gRPC statuses (both ways): the
// server turns every hepex::Error into a status whose message is the error's one line, the client turns a
// status back into an error naming the server.
#include <string>

#include <grpcpp/support/status.h>

#include "util/error.hpp"

namespace hepex::service {

// Missing credentials, a wrong token, or material a server must never accept (a secret key).
class AccessDenied : public Error {
 public:
  using Error::Error;
};
// No keys under this key id (never uploaded, or the server lost them): upload them again.
class UnknownKeys : public Error {
 public:
  using Error::Error;
};
// The queue is full, the memory budget is exhausted or a payload is larger than allowed.
class Busy : public Error {
 public:
  using Error::Error;
};
// The request was cancelled by the client or its deadline passed.
class Cancelled : public Error {
 public:
  using Error::Error;
};
// The server is shutting down, or cannot be reached.
class Unavailable : public Error {
 public:
  using Error::Error;
};

// FormatError / InvalidArgument -> INVALID_ARGUMENT, MismatchError -> FAILED_PRECONDITION, SecurityError and
// AccessDenied -> PERMISSION_DENIED, UnknownKeys -> NOT_FOUND, Busy -> RESOURCE_EXHAUSTED, Cancelled ->
// CANCELLED, Unavailable -> UNAVAILABLE, anything else -> INTERNAL (with a generic message: no internals leak).
grpc::Status to_status(const std::exception& e);
// Throws the hepex::Error matching `status` (the inverse of to_status), its message prefixed by `who`.
[[noreturn]] void throw_status(const grpc::Status& status, const std::string& who);
const char* status_code_name(grpc::StatusCode code);

}  // namespace hepex::service
