// The store's tables (the README of the database file). Times are Unix milliseconds (INTEGER),
// from the injected Clock; 0 means "not yet" where a time is optional. Every queue table keeps a
// `due_at` column, the one time that makes a row claimable: run_at while queued, lease_until while
// running, NULL once done. A partial index on (due_at, id) over the claimable states serves each
// claim's ORDER BY without a sort.
//
//   inbox            accepted inbound deliveries (catalog events, Graph notifications) and items
//                    the daemon queues itself (catalog poll, reconciliation follow-ups) waiting for
//                    the planner: kind, payload, received_at, state queued|running|done, attempts,
//                    run_at/lease_until/due_at, last_error; webhook_id UNIQUE (NULL for Graph and
//                    for the daemon's own items) dedupes Standard Webhooks retries.
//   jobs             one upgrade per (tenant_id, team_id, installation_id, target_version), UNIQUE:
//                    state queued|running|succeeded|skipped|failed|blocked, attempt, run_at,
//                    lease_until/lease_owner, due_at, last_error, inbox_id -> inbox.
//                    jobs_installation (tenant, team, installation[, rowid]) finds the newest job
//                    of an installation without a sort.
//   inventory        known installations, PK (tenant_id, team_id, installation_id): app,
//                    definition, version, last_seen (what a reconciliation compares against its
//                    start time). Indexed by (tenant, app) for fan-out and (tenant, installation)
//                    for notifications, which name only the installation.
//   inventory_scans  (tenant_id, teams_app_id) -> scanned_at: a full scan has filled inventory.
//   subscriptions    Graph subscriptions: id, resource, client_state (a secret), expiration,
//                    teams_app_id (the watched app; '' in rows written before schema 2).
//   reconciliations  full scans of the inventory against Graph: reason, state
//                    pending|running|done, requested_at/started_at/finished_at, cursor (the
//                    nextLink to resume from), counters. A partial UNIQUE index on state over
//                    pending and running admits at most one of each.
//   schedules        name PK -> last_run: when a periodic task (catalog poll, reconciliation)
//                    last ran, so the period survives restarts.
//   catalog_versions (tenant_id, teams_app_id) PK -> version, seen_at: the newest published
//                    version the catalog poll has seen (and planned).
//   delegated_credential  at most one row (id = 1): the sealed refresh token of `appkeeper
//                    login`, account, stored_at, invalid_reason ('' while usable). The store
//                    never sees the token in clear text.
//   audit            append-only (triggers refuse UPDATE and DELETE): every AuditRecord field,
//                    permissions as JSON text [{"value":..,"type":..}], job_id -> jobs; since
//                    schema 3 a hash chain: hash over the row and prev_hash, the previous row's
//                    hash (audit_chain.h). A trigger refuses an INSERT that does not take the
//                    next id and link to the last row's hash, so two writers can never chain to
//                    the same predecessor and nothing can append around the chain.
//
// Add a change as a new step at the end of kSteps; never edit a step that has shipped.
#include "store/schema.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <array>
#include <string>

#include "store/audit_chain.h"
#include "store/sqlite_error.h"

namespace appkeeper::store {
namespace {

constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE inbox (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL,
  payload     TEXT    NOT NULL,
  webhook_id  TEXT    UNIQUE,
  received_at INTEGER NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  run_at      INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  due_at      INTEGER,
  last_error  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX inbox_due ON inbox (due_at, id) WHERE state IN ('queued', 'running');

CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  tenant_id       TEXT    NOT NULL,
  team_id         TEXT    NOT NULL,
  installation_id TEXT    NOT NULL,
  teams_app_id    TEXT    NOT NULL,
  from_version    TEXT    NOT NULL,
  target_version  TEXT    NOT NULL,
  inbox_id        INTEGER REFERENCES inbox (id),
  state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN
                    ('queued', 'running', 'succeeded', 'skipped', 'failed', 'blocked')),
  attempt         INTEGER NOT NULL DEFAULT 0,
  run_at          INTEGER NOT NULL,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  lease_owner     TEXT    NOT NULL DEFAULT '',
  due_at          INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  last_error      TEXT    NOT NULL DEFAULT '',
  UNIQUE (tenant_id, team_id, installation_id, target_version)
);
CREATE INDEX jobs_due ON jobs (due_at, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_blocked_app ON jobs (teams_app_id) WHERE state = 'blocked';
CREATE INDEX jobs_inbox ON jobs (inbox_id);

CREATE TABLE inventory (
  tenant_id       TEXT    NOT NULL,
  team_id         TEXT    NOT NULL,
  installation_id TEXT    NOT NULL,
  teams_app_id    TEXT    NOT NULL,
  definition_id   TEXT    NOT NULL,
  version         TEXT    NOT NULL,
  last_seen       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, team_id, installation_id)
) WITHOUT ROWID;
CREATE INDEX inventory_app ON inventory (tenant_id, teams_app_id);

CREATE TABLE inventory_scans (
  tenant_id    TEXT    NOT NULL,
  teams_app_id TEXT    NOT NULL,
  scanned_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, teams_app_id)
) WITHOUT ROWID;

CREATE TABLE subscriptions (
  id           TEXT    PRIMARY KEY,
  resource     TEXT    NOT NULL,
  client_state TEXT    NOT NULL,
  expiration   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
  id              INTEGER PRIMARY KEY,
  recorded_at     INTEGER NOT NULL,
  event           TEXT    NOT NULL,
  tenant_id       TEXT    NOT NULL,
  team_id         TEXT    NOT NULL,
  installation_id TEXT    NOT NULL,
  teams_app_id    TEXT    NOT NULL,
  from_version    TEXT    NOT NULL,
  to_version      TEXT    NOT NULL,
  outcome         TEXT    NOT NULL,
  http_status     INTEGER NOT NULL,
  request_id      TEXT    NOT NULL,
  attempt         INTEGER NOT NULL,
  detail          TEXT    NOT NULL,
  permissions     TEXT    NOT NULL DEFAULT '[]',
  job_id          INTEGER REFERENCES jobs (id)
);
CREATE INDEX audit_time ON audit (recorded_at, id);
CREATE INDEX audit_app ON audit (teams_app_id, recorded_at, id);
CREATE INDEX audit_team ON audit (team_id, recorded_at, id);
CREATE INDEX audit_job ON audit (job_id) WHERE job_id IS NOT NULL;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
)sql";

// Schema 2 (issue 4): subscriptions per watched app, reconciliation, schedules, catalog poll,
// delegated consent.
constexpr std::string_view kReconciliationSchema = R"sql(
ALTER TABLE subscriptions ADD COLUMN teams_app_id TEXT NOT NULL DEFAULT '';

CREATE TABLE reconciliations (
  id                  INTEGER PRIMARY KEY,
  reason              TEXT    NOT NULL,
  state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'running', 'done')),
  requested_at        INTEGER NOT NULL,
  started_at          INTEGER NOT NULL DEFAULT 0,
  finished_at         INTEGER NOT NULL DEFAULT 0,
  cursor              TEXT    NOT NULL DEFAULT '',
  teams_scanned       INTEGER NOT NULL DEFAULT 0,
  installations_found INTEGER NOT NULL DEFAULT 0,
  drift_corrected     INTEGER NOT NULL DEFAULT 0,
  jobs_enqueued       INTEGER NOT NULL DEFAULT 0
);
-- At most one pending and at most one running: the coalescing rule, enforced by the file itself.
CREATE UNIQUE INDEX reconciliations_active ON reconciliations (state)
  WHERE state IN ('pending', 'running');
CREATE INDEX reconciliations_done ON reconciliations (finished_at, id) WHERE state = 'done';

CREATE TABLE schedules (
  name     TEXT    PRIMARY KEY,
  last_run INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog_versions (
  tenant_id    TEXT    NOT NULL,
  teams_app_id TEXT    NOT NULL,
  version      TEXT    NOT NULL,
  seen_at      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, teams_app_id)
) WITHOUT ROWID;

CREATE TABLE delegated_credential (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  sealed         TEXT    NOT NULL,
  account        TEXT    NOT NULL DEFAULT '',
  stored_at      INTEGER NOT NULL,
  invalid_reason TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX inventory_installation ON inventory (tenant_id, installation_id);
CREATE INDEX jobs_installation ON jobs (tenant_id, team_id, installation_id);
)sql";

// Schema 3 (issue 5): the audit hash chain. The UPDATE trigger goes while existing rows get
// their hashes (backfillAuditChain), in the same transaction, and comes back after.
constexpr std::string_view kAuditChainSchema = R"sql(
DROP TRIGGER audit_no_update;
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash      TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::string_view kAuditChainTriggers = R"sql(
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
-- The genesis value (kAuditGenesisHash, 64 zeros) is hex(zeroblob(32)).
CREATE TRIGGER audit_chain_append BEFORE INSERT ON audit
  WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)
    OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1),
                                     hex(zeroblob(32)))
    OR length(NEW.hash) != 64
  BEGIN SELECT RAISE(ABORT, 'audit records must extend the hash chain (next id, last hash)'); END;
)sql";

constexpr std::array kSteps = {
    MigrationStep{"initial schema: inbox, jobs, inventory, inventory_scans, subscriptions, audit",
                  kInitialSchema, nullptr, {}},
    MigrationStep{"reconciliations, schedules, catalog_versions, delegated_credential, "
                  "subscriptions.teams_app_id, inventory and jobs by installation",
                  kReconciliationSchema, nullptr, {}},
    MigrationStep{"audit hash chain: audit.prev_hash, audit.hash, chained append trigger",
                  kAuditChainSchema, backfillAuditChain, kAuditChainTriggers},
};

}  // namespace

std::span<const MigrationStep> migrations() { return kSteps; }

int userVersion(SQLite::Database& db) {
  SQLite::Statement query(db, "PRAGMA user_version");
  query.executeStep();
  return query.getColumn(0).getInt();
}

Result<int> migrate(SQLite::Database& db, std::span<const MigrationStep> steps) {
  const int latest = static_cast<int>(steps.size());
  const auto tooNew = [latest](int version) {
    return Error::permanent("database schema version " + std::to_string(version) +
                            " is newer than this binary supports (" + std::to_string(latest) +
                            "); run a newer appkeeper or restore a matching backup");
  };
  return guarded("migrating the database schema", [&]() -> Result<int> {
    // The common case (already current) takes no write lock.
    const int current = userVersion(db);
    if (current > latest) return tooNew(current);
    if (current == latest) return current;
    for (;;) {
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      const int version = userVersion(db);
      if (version > latest) return tooNew(version);
      if (version == latest) return version;
      const MigrationStep& step = steps[static_cast<size_t>(version)];
      try {
        db.exec(std::string(step.sql));
        if (step.backfill != nullptr) step.backfill(db);
        if (!step.sqlAfter.empty()) db.exec(std::string(step.sqlAfter));
      } catch (const SQLite::Exception& e) {
        Error error = fromSqlite(e, "migration step " + std::to_string(version + 1) + " (" +
                                        std::string(step.description) + ")");
        return error;  // the transaction rolls back: the file stays at `version`
      }
      // PRAGMA takes no bound parameters; the value is our own integer.
      db.exec("PRAGMA user_version = " + std::to_string(version + 1));
      tx.commit();
    }
  });
}

}  // namespace appkeeper::store
