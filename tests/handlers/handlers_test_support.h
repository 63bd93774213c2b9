// Shared helpers for the handlers tests: a temp dir per test, a real Store on a file in it, a
// logger that discards, and small builders for requests and audit queries.
#pragma once

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "handlers/inbound_request.h"
#include "store/store.h"
#include "fakes/temp_dir.h"

namespace appkeeper::testing {


inline std::shared_ptr<spdlog::logger> nullLogger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

inline std::unique_ptr<store::Store> openStore(const std::string& path, const Clock& clock) {
  auto s = store::Store::open(path, clock);
  REQUIRE(s.ok());
  return std::move(s.value());
}

inline std::vector<store::AuditRecord> auditOf(store::Store& s, const std::string& event,
                                               const std::string& outcome) {
  auto all = s.queryAudit({});
  REQUIRE(all.ok());
  std::vector<store::AuditRecord> out;
  for (auto& r : *all) {
    if (r.event == event && r.outcome == outcome) out.push_back(r);
  }
  return out;
}

// Every inbox item currently claimable (claims them; the test store is thrown away after).
inline std::vector<store::InboxItem> drainInbox(store::Store& s) {
  std::vector<store::InboxItem> items;
  for (int i = 0; i < 1000; ++i) {  // bounded: tests put a handful of items in
    auto item = s.claimInbox(std::chrono::minutes(10));
    REQUIRE(item.ok());
    if (!item->has_value()) break;
    items.push_back(**item);
  }
  return items;
}

inline handlers::InboundRequest jsonPost(const std::string& path, const std::string& body) {
  handlers::InboundRequest r;
  r.method = "POST";
  r.path = path;
  r.contentType = "application/json";
  r.body = body;
  return r;
}

}  // namespace appkeeper::testing
