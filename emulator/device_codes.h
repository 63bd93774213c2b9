// DeviceCodeStore: the device codes the emulated identity platform handed out
// (POST /{tenant}/oauth2/v2.0/devicecode, shared/graph-api.md §4.2) and what became of them.
// A code is pending until a test approves or declines it through the control API (the stand-in
// for a person entering the user code at the verification page); an approved code is redeemed
// by exactly one token request. The device_code is the client's secret: list() never shows it.
//
// Borrows a Clock (expiry, polling interval) and a Random (codes); both must outlive the store.
// Thread-safety: every member is thread-safe (one mutex).
// Memory: codes are dropped an hour after they expire, and at most kMaxCodes are kept.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/random.h"

namespace appkeeper::emulator {

enum class DeviceCodeState { kPending, kApproved, kDeclined, kRedeemed, kExpired };
const char* toString(DeviceCodeState state);

struct NewDeviceCode {
  std::string tenantId;
  std::string clientId;
  std::string scope;  // as requested (space-separated)
  std::chrono::seconds lifetime{900};
  std::chrono::seconds interval{5};
};

struct IssuedDeviceCode {
  std::string deviceCode;
  std::string userCode;  // 9 characters from [A-Z2-9] without look-alikes, e.g. "FTNZ8JPRX"
};

// What a poll of the token endpoint learns about a device code.
enum class DevicePoll {
  kPending,   // authorization_pending
  kSlowDown,  // polled sooner than `interval` after the previous poll
  kGranted,   // approved, and now redeemed (the only poll that sees this)
  kDeclined,  // authorization_declined
  kExpired,   // expired_token
  kRedeemed,  // a second redemption of an approved code
  kUnknown,   // bad_verification_code (also: another client's code)
};

struct DevicePollResult {
  DevicePoll outcome = DevicePoll::kUnknown;
  // kGranted only: who approved it and what was asked for.
  std::string tenantId;
  std::string clientId;
  std::string user;
  std::string scope;
};

enum class DeviceDecision { kDone, kUnknown, kNotPending };

struct DeviceCodeView {
  std::string userCode;
  DeviceCodeState state = DeviceCodeState::kPending;
  WallTime expiresAt{};
  std::string user;  // set once approved
  std::string scope;
};

class DeviceCodeStore {
 public:
  static constexpr size_t kMaxCodes = 10'000;

  DeviceCodeStore(const Clock& clock, Random& random);

  IssuedDeviceCode issue(const NewDeviceCode& request);
  // One token request with grant_type=device_code by `clientId`.
  DevicePollResult poll(const std::string& deviceCode, const std::string& clientId);
  // The control API's "a person entered the code": only pending, unexpired codes (kNotPending
  // otherwise). `userCode` is matched case-insensitively.
  DeviceDecision approve(const std::string& userCode, const std::string& user);
  DeviceDecision decline(const std::string& userCode);
  // Every code still remembered, oldest first.
  std::vector<DeviceCodeView> list() const;

 private:
  struct Entry {
    NewDeviceCode request;
    std::string userCode;
    uint64_t sequence = 0;  // issue order, for list()
    DeviceCodeState state = DeviceCodeState::kPending;
    WallTime expiresAt{};
    std::optional<WallTime> lastPoll;
    std::string user;
  };
  DeviceCodeState stateOf(const Entry& e, WallTime now) const;
  Entry* byUserCode(const std::string& userCode);  // requires mu_
  void purge(WallTime now);                        // requires mu_

  const Clock& clock_;
  Random& random_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> codes_;         // by device code; guarded by mu_
  std::unordered_map<std::string, std::string> byUser_;  // user code -> device code; mu_
  uint64_t issued_ = 0;                                  // guarded by mu_
};

}  // namespace appkeeper::emulator
