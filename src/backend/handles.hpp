#pragma once
// Opaque ciphertext and plaintext handles shared by every backend.
//
// A handle is a cheap value type: it wraps a shared pointer to an object owned by the backend that made it
// (a real RNS-CKKS ciphertext, or the simulator's clear slots). Operations never modify their operands;
// they return new handles, so handles can be copied and shared between tiles freely. In-place operations
// replace the object behind one handle, and may update it where it is when that handle is its only owner
// (sole_owner_as): copy on write, so no other handle ever sees a change. An empty
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

  // The concrete object for an update in place when this handle is its only owner, else nullptr (then
  // the caller makes a new object). Only for backends that create their objects non-const (make_shared<T>,
  // not make_shared<const T>), which makes the const_cast legal. Errors as as().
  template <class Concrete>
  Concrete* sole_owner_as(const char* who) {
    const Concrete& concrete = as<Concrete>(who);
    return object_.use_count() == 1 ? const_cast<Concrete*>(&concrete) : nullptr;
  }

 private:
  std::shared_ptr<const Object> object_;
};

using Ciphertext = Handle<CiphertextObject>;
using Plaintext = Handle<PlaintextObject>;

}  // namespace hepex::backend
