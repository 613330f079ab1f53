#include "tile/tile_shape.hpp"

#include <cctype>
#include <charconv>
#include <sstream>

#include "util/error.hpp"

namespace hepex::tile {

std::size_t TileDim::extent(std::size_t g) const {
  if (replicated) return tile;
  const std::size_t start = g * tile;
  return start >= size ? 0 : std::min(tile, size - start);
}

TileTensorShape::TileTensorShape(std::vector<TileDim> dims, std::size_t outer) : dims_(std::move(dims)), outer_(outer) {
  const std::string me = "TileTensorShape " + to_string();
  if (dims_.empty() || dims_.size() > 3) throw InvalidArgument(me + ": rank must be 1, 2 or 3");
  if (outer_ >= dims_.size())
    throw InvalidArgument(me + ": outermost dimension " + std::to_string(outer_) + " out of range");
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const auto& x = dims_[d];
    const std::string which = me + ": dimension " + std::to_string(d);
    if (x.tile == 0 || (x.tile & (x.tile - 1)) != 0) throw InvalidArgument(which + ": tile size is not a power of two");
    if (x.size == 0) throw InvalidArgument(which + ": size 0");
    if (x.replicated && (x.size != 1 || x.unknowns))
      throw InvalidArgument(which + ": a replicated dimension has size 1 and no unknowns");
  }
}

TileTensorShape TileTensorShape::dense(const std::vector<std::size_t>& sizes, const std::vector<std::size_t>& tiles) {
  if (sizes.size() != tiles.size())
    throw InvalidArgument("TileTensorShape::dense: " + std::to_string(sizes.size()) + " sizes but " +
                          std::to_string(tiles.size()) + " tile sizes");
  std::vector<TileDim> dims;
  for (std::size_t d = 0; d < sizes.size(); ++d) dims.push_back({sizes[d], tiles[d], false, false});
  return TileTensorShape(std::move(dims));
}

namespace {
std::size_t parse_number(std::string_view s, std::string_view text) {
  std::size_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw InvalidArgument("TileTensorShape::parse: bad number '" + std::string(s) + "' in '" + std::string(text) + "'");
  return v;
}
}  // namespace

TileTensorShape TileTensorShape::parse(std::string_view text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  if (s.size() < 2 || s.front() != '[' || s.back() != ']')
    throw InvalidArgument("TileTensorShape::parse: '" + std::string(text) + "' is not of the form [n1/t1, ...]");
  std::vector<TileDim> dims;
  std::size_t outer = 0;
  std::string_view body(s.data() + 1, s.size() - 2);
  while (true) {
    const auto comma = body.find(',');
    std::string_view item = body.substr(0, comma);
    if (!item.empty() && item.front() == '^') {
      outer = dims.size();
      item.remove_prefix(1);
    }
    const auto slash = item.find('/');
    if (slash == std::string_view::npos)
      throw InvalidArgument("TileTensorShape::parse: '" + std::string(item) + "' in '" + std::string(text) +
                            "' has no '/'");
    std::string_view left = item.substr(0, slash);
    TileDim d;
    d.tile = parse_number(item.substr(slash + 1), text);
    if (left == "*") {
      d.replicated = true;
    } else {
      if (!left.empty() && left.back() == '?') {
        d.unknowns = true;
        left.remove_suffix(1);
      }
      d.size = parse_number(left, text);
    }
    dims.push_back(d);
    if (comma == std::string_view::npos) break;
    body.remove_prefix(comma + 1);
  }
  return TileTensorShape(std::move(dims), outer);
}

std::string TileTensorShape::to_string() const {
  std::ostringstream o;
  o << '[';
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const auto& x = dims_[d];
    if (d) o << ", ";
    if (d == outer_ && d != 0) o << '^';
    if (x.replicated) o << '*';
    else o << x.size << (x.unknowns ? "?" : "");
    o << '/' << x.tile;
  }
  o << ']';
  return o.str();
}

std::size_t TileTensorShape::slots_per_tile() const {
  std::size_t p = 1;
  for (const auto& x : dims_) p *= x.tile;
  return p;
}

std::size_t TileTensorShape::slot_stride(std::size_t d) const {
  // Inner to the outermost dimension: every other one; inner to any other: the later ones but the outermost.
  std::size_t s = 1;
  for (std::size_t e = 0; e < dims_.size(); ++e)
    if (e != d && (d == outer_ || (e > d && e != outer_))) s *= dims_[e].tile;
  return s;
}

std::size_t TileTensorShape::tile_count() const {
  std::size_t p = 1;
  for (const auto& x : dims_) p *= x.tile_count();
  return p;
}

std::vector<std::size_t> TileTensorShape::grid() const {
  std::vector<std::size_t> g;
  for (const auto& x : dims_) g.push_back(x.tile_count());
  return g;
}

std::vector<std::size_t> TileTensorShape::grid_position(std::size_t tile_index) const {
  std::vector<std::size_t> pos(dims_.size());
  for (std::size_t d = dims_.size(); d-- > 0;) {
    const std::size_t count = dims_[d].tile_count();
    pos[d] = tile_index % count;
    tile_index /= count;
  }
  return pos;
}

std::size_t TileTensorShape::tile_index(const std::vector<std::size_t>& pos) const {
  std::size_t index = 0;
  for (std::size_t d = 0; d < dims_.size(); ++d) index = index * dims_[d].tile_count() + pos[d];
  return index;
}

std::vector<std::size_t> TileTensorShape::tensor_dims() const {
  std::vector<std::size_t> n;
  for (const auto& x : dims_) n.push_back(x.replicated ? 1 : x.size);
  return n;
}

std::vector<std::size_t> TileTensorShape::extents(std::size_t tile_index) const {
  const auto pos = grid_position(tile_index);
  std::vector<std::size_t> e(dims_.size());
  for (std::size_t d = 0; d < dims_.size(); ++d) e[d] = dims_[d].extent(pos[d]);
  return e;
}

bool TileTensorShape::has_unknowns() const {
  for (const auto& x : dims_)
    if (x.unknowns) return true;
  return false;
}

void TileTensorShape::require_slots(std::size_t slots, const std::string& who) const {
  if (slots_per_tile() != slots)
    throw MismatchError(who + ": tile shape " + to_string() + " has " + std::to_string(slots_per_tile()) +
                        " slots per tile, the backend has " + std::to_string(slots));
}

std::vector<bool> valid_slots(const TileTensorShape& shape, const std::vector<std::size_t>& extents) {
  std::vector<bool> valid(shape.slots_per_tile(), true);
  for (std::size_t d = 0; d < shape.rank(); ++d) {
    const std::size_t stride = shape.slot_stride(d), t = shape.dim(d).tile;
    if (extents[d] == t) continue;
    for (std::size_t i = 0; i < valid.size(); ++i)
      if ((i / stride) % t >= extents[d]) valid[i] = false;
  }
  return valid;
}

}  // namespace hepex::tile
