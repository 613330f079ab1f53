#pragma once
// Opaque ciphertext and plaintext handles shared by every backend.
//
// A handle is a cheap value type: it wraps a shared pointer to an immutable object owned by the backend
// that made it (a real RNS-CKKS ciphertext, or the simulator's clear slots). Operations never modify their
// operands; they return new handles, so handles can be copied and shared between tiles freely. An empty
// (default-constructed) handle holds nothing; the tile layer uses it for "absent" (known all-zero) tiles.
#include <memory>
#include <string>
#include <typeinfo>

#include "util/error.hpp"

namespace hepex::backend {

// Base of every backend's ciphertext / plaintext object.
class CiphertextObject {
 public:
  virtual ~CiphertextObject() = default;
};
class PlaintextObject {
 public:
  virtual ~PlaintextObject() = default;
};

template <class Object>
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::shared_ptr<const Object> object) : object_(std::move(object)) {}

  bool empty() const { return object_ == nullptr; }
  explicit operator bool() const { return !empty(); }
  const std::shared_ptr<const Object>& shared() const { return object_; }

  // The backend's concrete object; throws InvalidArgument if the handle is empty, MismatchError if it was
  // made by another backend (e.g. a simulator ciphertext given to the CKKS backend).
  template <class Concrete>
  const Concrete& as(const char* who) const {
    if (!object_) throw InvalidArgument(std::string(who) + ": empty handle (absent tile or moved-from object)");
    const auto* concrete = dynamic_cast<const Concrete*>(object_.get());
    if (!concrete) throw MismatchError(std::string(who) + ": object was made by a different backend");
    return *concrete;
  }

 private:
  std::shared_ptr<const Object> object_;
};

using Ciphertext = Handle<CiphertextObject>;
using Plaintext = Handle<PlaintextObject>;

}  // namespace hepex::backend
