#include "service/errors.hpp"

namespace hepex::service {

grpc::Status to_status(const std::exception& e) {
  using grpc::StatusCode;
  const std::string m = e.what();
  if (dynamic_cast<const AccessDenied*>(&e) || dynamic_cast<const SecurityError*>(&e))
    return {StatusCode::PERMISSION_DENIED, m};
  if (dynamic_cast<const UnknownKeys*>(&e)) return {StatusCode::NOT_FOUND, m};
  if (dynamic_cast<const Busy*>(&e)) return {StatusCode::RESOURCE_EXHAUSTED, m};
  if (dynamic_cast<const Cancelled*>(&e)) return {StatusCode::CANCELLED, m};
  if (dynamic_cast<const Unavailable*>(&e)) return {StatusCode::UNAVAILABLE, m};
  if (dynamic_cast<const MismatchError*>(&e)) return {StatusCode::FAILED_PRECONDITION, m};
  if (dynamic_cast<const FormatError*>(&e) || dynamic_cast<const InvalidArgument*>(&e))
    return {StatusCode::INVALID_ARGUMENT, m};
  if (dynamic_cast<const std::bad_alloc*>(&e)) return {StatusCode::RESOURCE_EXHAUSTED, "out of memory"};
  return {StatusCode::INTERNAL, "internal server error"};
}

const char* status_code_name(grpc::StatusCode code) {
  using grpc::StatusCode;
  switch (code) {
    case StatusCode::OK: return "OK";
    case StatusCode::CANCELLED: return "CANCELLED";
    case StatusCode::UNKNOWN: return "UNKNOWN";
    case StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case StatusCode::NOT_FOUND: return "NOT_FOUND";
    case StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case StatusCode::ABORTED: return "ABORTED";
    case StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case StatusCode::INTERNAL: return "INTERNAL";
    case StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case StatusCode::DATA_LOSS: return "DATA_LOSS";
    case StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

void throw_status(const grpc::Status& status, const std::string& who) {
  using grpc::StatusCode;
  const std::string m = who + ": " + status.error_message() + " (" + status_code_name(status.error_code()) + ")";
  switch (status.error_code()) {
    case StatusCode::PERMISSION_DENIED:
    case StatusCode::UNAUTHENTICATED: throw AccessDenied(m);
    case StatusCode::NOT_FOUND: throw UnknownKeys(m);
    case StatusCode::RESOURCE_EXHAUSTED: throw Busy(m);
    case StatusCode::CANCELLED:
    case StatusCode::DEADLINE_EXCEEDED: throw Cancelled(m);
    case StatusCode::UNAVAILABLE: throw Unavailable(m);
    case StatusCode::FAILED_PRECONDITION: throw MismatchError(m);
    case StatusCode::INVALID_ARGUMENT: throw InvalidArgument(m);
    default: throw Error(m);
  }
}

}  // namespace hepex::service
