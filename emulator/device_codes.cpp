#include "emulator/device_codes.h"

#include <algorithm>
#include <cctype>

#include "emulator/ids.h"

namespace appkeeper::emulator {
namespace {

// No 0/O, 1/I/L, 5/S, 8/B: a person types the code from a screen.
constexpr std::string_view kUserCodeAlphabet = "ACDEFGHJKMNPQRTUVWXYZ234679";
constexpr size_t kUserCodeLength = 9;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const char* toString(DeviceCodeState state) {
  switch (state) {
    case DeviceCodeState::kPending:
      return "pending";
    case DeviceCodeState::kApproved:
      return "approved";
    case DeviceCodeState::kDeclined:
      return "declined";
    case DeviceCodeState::kRedeemed:
      return "redeemed";
    case DeviceCodeState::kExpired:
      return "expired";
  }
  return "unknown";
}

DeviceCodeStore::DeviceCodeStore(const Clock& clock, Random& random)
    : clock_(clock), random_(random) {}

DeviceCodeState DeviceCodeStore::stateOf(const Entry& e, WallTime now) const {
  // A redeemed code stays redeemed; anything else not redeemed in time has expired.
  if (e.state != DeviceCodeState::kRedeemed && now >= e.expiresAt) return DeviceCodeState::kExpired;
  return e.state;
}

IssuedDeviceCode DeviceCodeStore::issue(const NewDeviceCode& request) {
  const WallTime now = clock_.now();
  std::lock_guard lock(mu_);
  if (++issued_ % 64 == 0 || codes_.size() >= kMaxCodes) purge(now);
  IssuedDeviceCode out;
  // Bounded: a collision among 27^9 codes is rare; should 16 draws all collide, the older
  // code with that user code is forgotten below, so a user code always names one code.
  for (int attempt = 0; attempt < 16; ++attempt) {
    out.userCode.clear();
    for (size_t i = 0; i < kUserCodeLength; ++i)
      out.userCode += kUserCodeAlphabet[random_.below(kUserCodeAlphabet.size())];
    if (byUser_.count(out.userCode) == 0) break;
  }
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint64_t v = random_.below(UINT64_MAX);
    for (int b = 0; b < 8; ++b) bytes += static_cast<char>((v >> (8 * b)) & 0xff);
  }
  out.deviceCode = "emudc." + base64UrlEncode(bytes);
  Entry e;
  e.request = request;
  e.userCode = out.userCode;
  e.sequence = issued_;
  e.expiresAt = now + request.lifetime;
  if (auto old = byUser_.find(out.userCode); old != byUser_.end()) codes_.erase(old->second);
  byUser_[out.userCode] = out.deviceCode;
  codes_[out.deviceCode] = std::move(e);
  return out;
}

DevicePollResult DeviceCodeStore::poll(const std::string& deviceCode, const std::string& clientId) {
  const WallTime now = clock_.now();
  DevicePollResult out;
  std::lock_guard lock(mu_);
  auto it = codes_.find(deviceCode);
  if (it == codes_.end() || it->second.request.clientId != clientId) return out;  // kUnknown
  Entry& e = it->second;
  const std::optional<WallTime> previous = e.lastPoll;
  e.lastPoll = now;
  switch (stateOf(e, now)) {
    case DeviceCodeState::kExpired:
      out.outcome = DevicePoll::kExpired;
      return out;
    case DeviceCodeState::kDeclined:
      out.outcome = DevicePoll::kDeclined;
      return out;
    case DeviceCodeState::kRedeemed:
      out.outcome = DevicePoll::kRedeemed;
      return out;
    case DeviceCodeState::kPending:
      // RFC 8628 §3.5: polling faster than the interval earns slow_down.
      out.outcome = previous && now - *previous < e.request.interval ? DevicePoll::kSlowDown
                                                                     : DevicePoll::kPending;
      return out;
    case DeviceCodeState::kApproved:
      break;
  }
  e.state = DeviceCodeState::kRedeemed;
  out.outcome = DevicePoll::kGranted;
  out.tenantId = e.request.tenantId;
  out.clientId = e.request.clientId;
  out.user = e.user;
  out.scope = e.request.scope;
  return out;
}

DeviceCodeStore::Entry* DeviceCodeStore::byUserCode(const std::string& userCode) {
  auto it = byUser_.find(upper(userCode));
  if (it == byUser_.end()) return nullptr;
  auto code = codes_.find(it->second);
  return code == codes_.end() ? nullptr : &code->second;
}

DeviceDecision DeviceCodeStore::approve(const std::string& userCode, const std::string& user) {
  const WallTime now = clock_.now();
  std::lock_guard lock(mu_);
  Entry* e = byUserCode(userCode);
  if (!e) return DeviceDecision::kUnknown;
  if (stateOf(*e, now) != DeviceCodeState::kPending) return DeviceDecision::kNotPending;
  e->state = DeviceCodeState::kApproved;
  e->user = user;
  return DeviceDecision::kDone;
}

DeviceDecision DeviceCodeStore::decline(const std::string& userCode) {
  const WallTime now = clock_.now();
  std::lock_guard lock(mu_);
  Entry* e = byUserCode(userCode);
  if (!e) return DeviceDecision::kUnknown;
  if (stateOf(*e, now) != DeviceCodeState::kPending) return DeviceDecision::kNotPending;
  e->state = DeviceCodeState::kDeclined;
  return DeviceDecision::kDone;
}

std::vector<DeviceCodeView> DeviceCodeStore::list() const {
  const WallTime now = clock_.now();
  std::vector<std::pair<uint64_t, DeviceCodeView>> ordered;
  {
    std::lock_guard lock(mu_);
    for (const auto& [code, e] : codes_) {
      ordered.push_back({e.sequence, DeviceCodeView{e.userCode, stateOf(e, now), e.expiresAt,
                                                    e.user, e.request.scope}});
    }
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<DeviceCodeView> out;
  out.reserve(ordered.size());
  for (auto& [seq, view] : ordered) out.push_back(std::move(view));
  return out;
}

void DeviceCodeStore::purge(WallTime now) {
  const WallTime cutoff = now - std::chrono::hours(1);
  auto drop = [&](std::unordered_map<std::string, Entry>::iterator it) {
    byUser_.erase(it->second.userCode);
    return codes_.erase(it);
  };
  for (auto it = codes_.begin(); it != codes_.end();) {
    it = it->second.expiresAt < cutoff ? drop(it) : std::next(it);
  }
  // Still full (a client that asks for codes in a loop): drop arbitrary ones.
  while (codes_.size() >= kMaxCodes) drop(codes_.begin());
}

}  // namespace appkeeper::emulator
