#include "service/chunks.hpp"

#include "service/errors.hpp"

namespace hepex::service {

std::vector<std::span<const std::uint8_t>> split_chunks(std::span<const std::uint8_t> bytes, std::size_t chunk) {
  if (chunk == 0) throw InvalidArgument("split_chunks: chunk size 0");
  std::vector<std::span<const std::uint8_t>> out;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) out.push_back(bytes.subspan(i, std::min(chunk, bytes.size() - i)));
  if (out.empty()) out.push_back(bytes);
  return out;
}

void Assembler::add(const std::string& chunk) {
  if (chunk.size() > limit_ - bytes_.size())
    throw Busy(what_ + ": more than the limit of " + std::to_string(limit_) + " bytes");
  bytes_.insert(bytes_.end(), chunk.begin(), chunk.end());
}

}  // namespace hepex::service
