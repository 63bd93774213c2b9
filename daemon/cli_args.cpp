#include "daemon/cli_args.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include "daemon/audit_outcomes.h"
#include "daemon/config.h"
#include "daemon/time_text.h"

namespace appkeeper::daemon {
namespace {

const char* commandName(Command c) {
  switch (c) {
    case Command::kServe:
      return "serve";
    case Command::kAudit:
      return "audit";
    case Command::kJobs:
      return "jobs";
    case Command::kLogin:
      return "login";
    case Command::kPlan:
      return "plan";
    case Command::kStatus:
      return "status";
    default:
      return "";
  }
}

std::optional<Command> commandFromName(const std::string& name) {
  if (name == "serve") return Command::kServe;
  if (name == "audit") return Command::kAudit;
  if (name == "jobs") return Command::kJobs;
  if (name == "login") return Command::kLogin;
  if (name == "plan") return Command::kPlan;
  if (name == "status") return Command::kStatus;
  return std::nullopt;
}

Error usage(const std::string& what, const std::string& helpCommand) {
  return Error::invalidInput(what + " (see: appkeeper " + helpCommand +
                             (helpCommand.empty() ? "" : " ") + "--help)");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// One option's handler: given the value (when the option takes one), store it or say why not.
struct OptionSpec {
  bool takesValue = true;
  std::function<std::optional<std::string>(CommandLine&, const std::string&)> apply;
};

std::optional<std::string> setFormat(OutputFormat& out, const std::string& v) {
  if (v == "table") {
    out = OutputFormat::kTable;
  } else if (v == "jsonl") {
    out = OutputFormat::kJsonl;
  } else {
    return "--format \"" + v + "\": use table or jsonl";
  }
  return std::nullopt;
}

std::optional<std::string> setReportFormat(ReportFormat& out, const std::string& v) {
  if (v == "table") {
    out = ReportFormat::kTable;
  } else if (v == "json") {
    out = ReportFormat::kJson;
  } else {
    return "--format \"" + v + "\": use table or json";
  }
  return std::nullopt;
}

std::optional<std::string> setLimit(size_t& out, const std::string& v) {
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    return "--limit \"" + v + "\": give a whole number (0 = all)";
  }
  out = n;
  return std::nullopt;
}

std::optional<std::string> setNonEmpty(std::optional<std::string>& out, const char* name,
                                       const std::string& v) {
  if (v.empty()) return std::string(name) + " needs a value";
  out = v;
  return std::nullopt;
}

std::optional<AuditAction> auditActionFromName(const std::string& name) {
  if (name == "verify") return AuditAction::kVerify;
  if (name == "export") return AuditAction::kExport;
  return std::nullopt;
}

std::map<std::string, OptionSpec> optionsFor(Command command, AuditAction auditAction,
                                             WallTime now) {
  std::map<std::string, OptionSpec> options;
  options["--config"] = {true,
                         [](CommandLine& c, const std::string& v) -> std::optional<std::string> {
                           if (v.empty()) return std::string("--config needs a file");
                           c.store.configPath = v;
                           return std::nullopt;
                         }};
  if (command == Command::kServe || command == Command::kLogin) return options;
  if (command == Command::kPlan) {
    options["--app"] = {true,
                        [](CommandLine& c, const std::string& v) -> std::optional<std::string> {
                          if (v.empty()) return std::string("--app needs a value");
                          c.plan.app = v;
                          return std::nullopt;
                        }};
    options["--format"] = {true, [](CommandLine& c, const std::string& v) {
                             return setReportFormat(c.plan.format, v);
                           }};
    return options;
  }
  options["--db"] = {true, [](CommandLine& c, const std::string& v) {
                       return setNonEmpty(c.store.dbPath, "--db", v);
                     }};
  if (command == Command::kStatus) {
    options["--format"] = {true, [](CommandLine& c, const std::string& v) {
                             return setReportFormat(c.status.format, v);
                           }};
  } else if (command == Command::kAudit) {
    if (auditAction == AuditAction::kVerify) return options;  // the whole chain, nothing else
    options["--since"] = {
        true, [now](CommandLine& c, const std::string& v) -> std::optional<std::string> {
          auto t = parseSince(v, now);
          if (!t) return t.error().message;
          c.audit.since = *t;
          return std::nullopt;
        }};
    if (auditAction == AuditAction::kExport) {
      options["--output"] = {true, [](CommandLine& c, const std::string& v) {
                               return setNonEmpty(c.audit.output, "--output", v);
                             }};
      return options;
    }
    options["--format"] = {
        true, [](CommandLine& c, const std::string& v) { return setFormat(c.audit.format, v); }};
    options["--app"] = {true, [](CommandLine& c, const std::string& v) {
                          return setNonEmpty(c.audit.app, "--app", v);
                        }};
    options["--team"] = {true, [](CommandLine& c, const std::string& v) {
                           return setNonEmpty(c.audit.team, "--team", v);
                         }};
    options["--outcome"] = {true,
                            [](CommandLine& c, const std::string& v) -> std::optional<std::string> {
                              const auto& known = knownOutcomes();
                              if (std::find(known.begin(), known.end(), v) == known.end()) {
                                return "--outcome \"" + v + "\": use one of " + join(known);
                              }
                              c.audit.outcome = v;
                              return std::nullopt;
                            }};
    options["--limit"] = {
        true, [](CommandLine& c, const std::string& v) { return setLimit(c.audit.limit, v); }};
  } else {
    options["--format"] = {
        true, [](CommandLine& c, const std::string& v) { return setFormat(c.jobs.format, v); }};
    options["--state"] = {true,
                          [](CommandLine& c, const std::string& v) -> std::optional<std::string> {
                            auto s = store::jobStateFromString(v);
                            if (!s) {
                              return "--state \"" + v +
                                     "\": use queued, running, succeeded, skipped, failed or "
                                     "blocked";
                            }
                            c.jobs.state = *s;
                            return std::nullopt;
                          }};
    options["--limit"] = {
        true, [](CommandLine& c, const std::string& v) { return setLimit(c.jobs.limit, v); }};
  }
  return options;
}

}  // namespace

Result<CommandLine> parseCommandLine(const std::vector<std::string>& args, WallTime now) {
  CommandLine cl;
  cl.store.configPath = kDefaultConfigPath;
  if (args.empty()) {
    return usage("no command given: use serve, status, audit, jobs, plan or login", "");
  }
  const std::string& first = args[0];
  if (first == "--help" || first == "-h") {
    cl.command = Command::kHelp;
    return cl;
  }
  if (first == "--version") {
    cl.command = Command::kVersion;
    return cl;
  }
  if (first == "help") {
    cl.command = Command::kHelp;
    if (args.size() > 1) {
      auto topic = commandFromName(args[1]);
      if (!topic) return usage("help: unknown command \"" + args[1] + "\"", "");
      cl.helpFor = *topic;
    }
    return cl;
  }
  auto command = commandFromName(first);
  if (!command) {
    return usage(first.rfind("-", 0) == 0 ? "unknown option \"" + first + "\" before the command"
                                          : "unknown command \"" + first + "\"",
                 "");
  }
  cl.command = *command;
  std::string name = commandName(*command);
  size_t firstOption = 1;
  if (*command == Command::kAudit && args.size() > 1) {
    if (auto action = auditActionFromName(args[1])) {
      cl.audit.action = *action;
      name += " " + args[1];
      firstOption = 2;
    }
  }
  const auto options = optionsFor(*command, cl.audit.action, now);
  bool limitGiven = false;
  bool configGiven = false;
  for (size_t i = firstOption; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      cl.command = Command::kHelp;
      cl.helpFor = *command;
      return cl;
    }
    std::optional<std::string> inlineValue;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inlineValue = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto spec = options.find(arg);
    if (spec == options.end()) {
      return usage(arg.rfind("-", 0) == 0 ? "unknown option \"" + arg + "\" for " + name
                                          : "unexpected argument \"" + arg + "\" for " + name,
                   name);
    }
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else {
      if (i + 1 >= args.size()) return usage(arg + " needs a value", name);
      value = args[++i];
    }
    if (auto problem = spec->second.apply(cl, value)) return usage(*problem, name);
    if (arg == "--limit") limitGiven = true;
    if (arg == "--config") configGiven = true;
  }
  if (cl.store.dbPath && configGiven) {
    return usage("give --config or --db, not both", name);
  }
  if (*command == Command::kPlan && cl.plan.app.empty()) {
    return usage("plan needs --app ID (the catalog id or externalId of the app)", name);
  }
  if (!limitGiven) {
    if (*command == Command::kAudit && cl.audit.action == AuditAction::kList &&
        cl.audit.format == OutputFormat::kTable) {
      cl.audit.limit = 50;
    }
    if (*command == Command::kJobs && cl.jobs.format == OutputFormat::kTable) cl.jobs.limit = 100;
  }
  return cl;
}

std::string helpText(Command command) {
  switch (command) {
    case Command::kServe:
      return "Usage: appkeeper serve [--config FILE]\n"
             "\n"
             "Runs the daemon in the foreground: listens for signed catalog publish events and\n"
             "Graph change notifications, plans one upgrade job per outdated installation and\n"
             "runs them within Graph's throttling limits, recording every step in the audit log.\n"
             "Logs go to stderr. Tells systemd READY=1 once the store is migrated and the "
             "listener\n"
             "is bound. SIGTERM or SIGINT drains: running jobs finish (bounded by\n"
             "[workers] shutdown_grace_seconds), the rest go back to the queue; exit code 0.\n"
             "\n"
             "Options:\n"
             "  --config FILE   the INI configuration (default /etc/appkeeper/appkeeper.ini);\n"
             "                  every key can be overridden by APPKEEPER_<SECTION>_<KEY>\n"
             "\n"
             "Exit codes: 0 stopped cleanly, 1 runtime failure (store, listener), 2 usage or\n"
             "configuration error.\n";
    case Command::kAudit:
      return "Usage: appkeeper audit [--config FILE | --db PATH] [--format table|jsonl]\n"
             "                       [--app ID] [--team ID] [--outcome OUTCOME]\n"
             "                       [--since AGE|TIME] [--limit N]\n"
             "       appkeeper audit verify [--config FILE | --db PATH]\n"
             "       appkeeper audit export [--config FILE | --db PATH] [--since AGE|TIME]\n"
             "                              [--output FILE]\n"
             "\n"
             "Prints the audit log, oldest first. Read-only: works while the daemon runs.\n"
             "\n"
             "Every record carries a SHA-256 hash over its fields and the previous record's hash\n"
             "(a chain; the daemon never updates or deletes a record).\n"
             "  verify   walks the whole chain in id order. Prints \"audit chain ok: N records,\n"
             "           last hash H\" and exits 0, or names the first broken record (id, time,\n"
             "           event) and why (hash mismatch, broken link, gap in ids) and exits 1.\n"
             "           Keep H somewhere else: a log cut short after H still verifies.\n"
             "  export   writes every record (or those from --since on) in id order as JSON\n"
             "           Lines for a SIEM, one object per line with the keys of --format jsonl.\n"
             "           --output FILE writes a temporary file beside FILE and renames it, so\n"
             "           FILE is never half-written; default: stdout.\n"
             "\n"
             "Options:\n"
             "  --config FILE     read the database path from [store] path of FILE\n"
             "                    (default /etc/appkeeper/appkeeper.ini)\n"
             "  --db PATH         the database file itself\n"
             "  --format F        table (aligned columns, the default) or jsonl (one JSON object\n"
             "                    per line with keys id, time, event, tenantId, teamId,\n"
             "                    installationId, teamsAppId, fromVersion, toVersion, outcome,\n"
             "                    httpStatus, requestId, attempt, detail, permissions, jobId,\n"
             "                    prevHash, hash)\n"
             "  --app ID          only records of this Teams app (catalog id)\n"
             "  --team ID         only records of this team\n"
             "  --outcome O       only this outcome: upgraded, skipped, retrying, waiting,\n"
             "                    needs-delegated-consent, failed, planned, accepted, duplicate,\n"
             "                    rejected\n"
             "  --since T         only records from T on: an age (30m, 1h, 2d; units s m h d w)\n"
             "                    or an RFC 3339 time (2026-11-29T10:00:00Z)\n"
             "  --limit N         only the newest N records (default 50 for the table, all for\n"
             "                    jsonl; 0 = all)\n"
             "  --output FILE     export only: the file to write (replaced atomically)\n"
             "\n"
             "Exit codes: 0 ok, 1 the database cannot be read or written out (verify: or the\n"
             "chain is broken), 2 usage error.\n";
    case Command::kJobs:
      return "Usage: appkeeper jobs [--config FILE | --db PATH] [--state STATE]\n"
             "                      [--format table|jsonl] [--limit N]\n"
             "\n"
             "Without --state: the number of upgrade jobs in each state (jsonl: one\n"
             "{\"state\",\"count\"} object per state). With --state: the jobs in that state (id,\n"
             "team, installation, app, from -> to version, attempt, run at, last error).\n"
             "Read-only: works while the daemon runs.\n"
             "\n"
             "Options:\n"
             "  --config FILE   read the database path from [store] path of FILE\n"
             "                  (default /etc/appkeeper/appkeeper.ini)\n"
             "  --db PATH       the database file itself\n"
             "  --state S       queued, running, succeeded, skipped, failed or blocked\n"
             "  --format F      table (the default) or jsonl\n"
             "  --limit N       jobs listed with --state (default 100 for the table, all for\n"
             "                  jsonl; 0 = all)\n"
             "\n"
             "Exit codes: 0 ok, 1 the database cannot be read, 2 usage error.\n";
    case Command::kLogin:
      return "Usage: appkeeper login [--config FILE]\n"
             "\n"
             "Signs an admin in with the device-code flow, for upgrades of apps that need\n"
             "resource-specific consent (Graph refuses those to the daemon's app-only token).\n"
             "Prints the identity platform's instruction (a URL and a user code), waits while\n"
             "the admin signs in on any device, then stores the refresh token in the database,\n"
             "sealed (AES-256-GCM) with the key of [delegated] key_file, and releases every\n"
             "upgrade that was blocked waiting for it. The daemon picks it up without a restart.\n"
             "Run it again when `appkeeper status` says the sign-in is needed again.\n"
             "\n"
             "Needs [graph] tenant_id, client_id, token_url, [delegated] key_file (create the key\n"
             "with `openssl rand -base64 32 > FILE`, chmod 0600, readable by the daemon) and\n"
             "optionally [delegated] device_code_url and scope. Ctrl-C stops waiting.\n"
             "\n"
             "Options:\n"
             "  --config FILE   the INI configuration (default /etc/appkeeper/appkeeper.ini)\n"
             "\n"
             "Exit codes: 0 signed in, 1 declined, expired or the identity platform or the\n"
             "database failed, 2 usage or configuration error (e.g. no [delegated] key_file).\n";
    case Command::kPlan:
      return "Usage: appkeeper plan --app ID [--config FILE] [--format table|json]\n"
             "\n"
             "Dry run: shows what an upgrade of one app would do now, without changing anything\n"
             "(no upgrade, no job, no write to the database). Prints the target version (the\n"
             "newest published one) and its RSC permissions, for each installed version the\n"
             "permissions the upgrade adds and removes, and each installation classified as\n"
             "upgrade, skip (already current) or needs-delegated-consent (the target needs RSC\n"
             "and there is no usable `appkeeper login`). Installations come from the daemon's\n"
             "inventory once it has scanned the app, otherwise from Graph (every team).\n"
             "\n"
             "Options:\n"
             "  --app ID        the app's catalog id or externalId (required)\n"
             "  --config FILE   the INI configuration (default /etc/appkeeper/appkeeper.ini)\n"
             "  --format F      table (readable text, the default) or json: one object\n"
             "                  "
             "{\"app\":{id,externalId,displayName},\"source\":\"inventory\"|\"graph\",\n"
             "                  \"delegatedLogin\":bool,\"target\":{id,version,rsc:[...]}|null,\n"
             "                  \"permissionChanges\":[{fromVersion,installations,known,added,\n"
             "                  removed}],\"counts\":{upgrade,skip,needsDelegatedConsent},\n"
             "                  "
             "\"installations\":[{teamId,installationId,version,action,reason}]}\n"
             "                  (permissions as {permissionValue,permissionType})\n"
             "\n"
             "Exit codes: 0 ok, 1 Graph or the database failed (or the app is unknown), 2 usage\n"
             "or configuration error.\n";
    case Command::kStatus:
      return "Usage: appkeeper status [--config FILE | --db PATH] [--format table|json]\n"
             "\n"
             "A summary of the daemon's state from its database: change-notification\n"
             "subscriptions and their expiry, upgrade jobs by state and the age of the oldest\n"
             "queued one, the running reconciliation's progress and the last finished one, the\n"
             "last 5 failed upgrades, and the delegated sign-in (none, signed in as X, or login\n"
             "needed and why). Read-only: works while the daemon runs.\n"
             "\n"
             "Options:\n"
             "  --config FILE   read the database path from [store] path of FILE\n"
             "                  (default /etc/appkeeper/appkeeper.ini)\n"
             "  --db PATH       the database file itself\n"
             "  --format F      table (the default) or json (one object with keys subscriptions,\n"
             "                  jobs, oldestQueuedAt, reconciliation {active, last},\n"
             "                  recentFailures, delegatedLogin {state, account, since, reason})\n"
             "\n"
             "Exit codes: 0 ok, 1 the database cannot be read, 2 usage error.\n";
    default:
      return "appkeeper - keeps Microsoft Teams app installations current\n"
             "\n"
             "Usage:\n"
             "  appkeeper serve [--config FILE]     run the daemon\n"
             "  appkeeper status [--config FILE | --db PATH] [--format table|json]\n"
             "  appkeeper audit [--config FILE | --db PATH] [--format table|jsonl] [--app ID]\n"
             "                  [--team ID] [--outcome O] [--since 1h|RFC3339] [--limit N]\n"
             "  appkeeper audit verify [--config FILE | --db PATH]\n"
             "  appkeeper audit export [--config FILE | --db PATH] [--since 1h|RFC3339]\n"
             "                  [--output FILE]\n"
             "  appkeeper jobs  [--config FILE | --db PATH] [--state S] [--format table|jsonl]\n"
             "                  [--limit N]\n"
             "  appkeeper plan  --app ID [--config FILE] [--format table|json]\n"
             "  appkeeper login [--config FILE]\n"
             "  appkeeper --help | --version | help COMMAND | COMMAND --help\n"
             "\n"
             "Commands:\n"
             "  serve   listen for publish events and Graph notifications, upgrade every outdated\n"
             "          installation, audit each step\n"
             "  audit   print the audit log (read-only, works while the daemon runs); verify:\n"
             "          check its hash chain; export: JSON Lines for a SIEM\n"
             "  jobs    print the upgrade queue: counts by state, or the jobs in one state\n"
             "  status  summary: subscriptions, queue, reconciliation, failures, sign-in\n"
             "  plan    dry run: what upgrading one app would do now (nothing is changed)\n"
             "  login   sign an admin in (device code) for upgrades of apps that need RSC\n"
             "\n"
             "Configuration: INI file (default /etc/appkeeper/appkeeper.ini), every key\n"
             "overridable by APPKEEPER_<SECTION>_<KEY>; secrets are read from files or from\n"
             "$CREDENTIALS_DIRECTORY. Exit codes: 0 ok, 1 runtime failure, 2 usage or\n"
             "configuration error.\n";
  }
}

}  // namespace appkeeper::daemon
