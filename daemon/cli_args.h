// The appkeeper command line: a small hand-written parser (testable, no globals) and the help
// texts. Options take "--name value" or "--name=value"; every value is checked here, so a bad
// command line is always a usage error (exit code 2) before anything is opened.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace appkeeper::daemon {

enum class Command { kHelp, kVersion, kServe, kAudit, kJobs, kLogin, kPlan, kStatus };
enum class OutputFormat { kTable, kJsonl };
// `plan` and `status` print one report: a readable text or one JSON document.
enum class ReportFormat { kTable, kJson };

// Where the commands find the configuration (all) and the database (audit, jobs, status:
// --db PATH, else [store] path of --config).
struct StoreSelection {
  std::string configPath;  // kDefaultConfigPath unless --config was given
  std::optional<std::string> dbPath;
};

// `appkeeper audit` lists; `audit verify` checks the hash chain; `audit export` writes every
// record as JSON Lines for a SIEM.
enum class AuditAction { kList, kVerify, kExport };

struct AuditOptions {
  AuditAction action = AuditAction::kList;
  OutputFormat format = OutputFormat::kTable;
  std::optional<std::string> app, team, outcome;
  std::optional<WallTime> since;  // list and export
  size_t limit = 0;  // the newest N; 0 = all (default: 50 for the table, all for jsonl)
  std::optional<std::string> output;  // export: write this file (atomically) instead of stdout
};

struct JobsOptions {
  OutputFormat format = OutputFormat::kTable;
  std::optional<store::JobState> state;  // list the jobs in this state; none: counts by state
  size_t limit = 0;  // jobs listed; 0 = all (default: 100 for the table, all for jsonl)
};

struct PlanOptions {
  std::string app;  // --app: catalog id or externalId (required)
  ReportFormat format = ReportFormat::kTable;
};

struct StatusOptions {
  ReportFormat format = ReportFormat::kTable;
};

struct CommandLine {
  Command command = Command::kHelp;
  std::optional<Command> helpFor;  // kHelp: the command whose help to print (none: overview)
  StoreSelection store;
  AuditOptions audit;
  JobsOptions jobs;
  PlanOptions plan;
  StatusOptions status;
};

// `args` without the program name. `now` resolves relative --since values.
// Errors (kInvalidInput): one line saying what is wrong and pointing at the help.
Result<CommandLine> parseCommandLine(const std::vector<std::string>& args, WallTime now);

// Help for one command, or the overview when `command` is kHelp/kVersion.
std::string helpText(Command command);

}  // namespace appkeeper::daemon
