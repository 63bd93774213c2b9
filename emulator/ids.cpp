#include "emulator/ids.h"

#include <array>
#include <cstdint>

namespace appkeeper::emulator {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::optional<std::string> decode(std::string_view text, const char* alphabet, bool padded) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  size_t padding = 0;
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    while (padding < 2 && !text.empty() && text[text.size() - 1 - padding] == '=') ++padding;
    text.remove_suffix(padding);
  } else if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64Encode(std::string_view bytes) { return encode(bytes, kStd, true); }
std::optional<std::string> base64Decode(std::string_view text) { return decode(text, kStd, true); }
std::string base64UrlEncode(std::string_view bytes) { return encode(bytes, kUrl, false); }
std::optional<std::string> base64UrlDecode(std::string_view text) {
  return decode(text, kUrl, false);
}

std::string newGuid(Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = random.below(UINT64_MAX);
  uint64_t lo = random.below(UINT64_MAX);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    uint64_t word = i < 8 ? hi : lo;
    int shift = 56 - 8 * (i % 8);
    auto byte = static_cast<unsigned>((word >> shift) & 0xff);
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

bool isGuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string installationId(std::string_view teamId, std::string_view teamsAppId) {
  std::string raw;
  raw.reserve(teamId.size() + teamsAppId.size() + 2);
  raw.append(teamId).append("##").append(teamsAppId);
  return base64Encode(raw);
}

std::string definitionId(std::string_view teamsAppId, std::string_view version,
                         std::string_view publishingState) {
  std::string state(publishingState);
  if (!state.empty())
    state[0] = static_cast<char>(state[0] - ('a' <= state[0] && state[0] <= 'z' ? 32 : 0));
  std::string raw;
  raw.append(teamsAppId).append("##").append(version).append("##").append(state);
  return base64Encode(raw);
}

}  // namespace appkeeper::emulator
