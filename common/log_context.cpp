#include "common/log_context.h"

namespace appkeeper {
namespace {

thread_local LogFields tlsFields;

void assignIf(std::string& field, const std::optional<std::string>& value) {
  if (value) field = *value;
}

}  // namespace

const LogFields& currentLogFields() { return tlsFields; }

LogScope::LogScope(const Set& fields) : previous_(tlsFields) {
  assignIf(tlsFields.jobId, fields.jobId);
  assignIf(tlsFields.teamId, fields.teamId);
  assignIf(tlsFields.appId, fields.appId);
  assignIf(tlsFields.graphRequestId, fields.graphRequestId);
}

LogScope::~LogScope() { tlsFields = std::move(previous_); }

}  // namespace appkeeper
