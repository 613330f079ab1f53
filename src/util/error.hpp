#pragma once
// Error types of hepex. Every message names the object (file, parameter, tensor) and what is wrong;
// the CLI prints what() on one line and exits non-zero.
#include <stdexcept>
#include <string>

namespace hepex {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Malformed, truncated or foreign input file.
class FormatError : public Error {
 public:
  using Error::Error;
};

// A value, shape or parameter outside what the operation accepts.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// Objects that do not belong together (different parameters, levels, scales, keys).
class MismatchError : public Error {
 public:
  using Error::Error;
};

// Parameters refused by the security check of the Homomorphic Encryption Standard.
class SecurityError : public Error {
 public:
  using Error::Error;
};

// I/O failure (cannot open, cannot write).
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace hepex
