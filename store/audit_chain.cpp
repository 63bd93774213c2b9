#include "store/audit_chain.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <array>
#include <stdexcept>

#include "common/openssl_sha256.h"

namespace appkeeper::store {
namespace {

constexpr std::string_view kDomain = "appkeeper-audit-v1\n";
constexpr int64_t kBackfillBatch = 1000;

void appendValue(std::string& out, char type, std::string_view bytes) {
  out += type;
  out += std::to_string(bytes.size());
  out += ':';
  out += bytes;
  out += ',';
}

std::string hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string canonicalAuditBytes(std::span<const ChainValue> columns, std::string_view prevHash) {
  std::string out(kDomain);
  for (const ChainValue& c : columns) appendValue(out, c.type, c.bytes);
  appendValue(out, 't', prevHash);
  return out;
}

std::string auditHash(std::span<const ChainValue> columns, std::string_view prevHash) {
  const std::string bytes = canonicalAuditBytes(columns, prevHash);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const EVP_MD* sha256 = sha256Algorithm();
  if (sha256 == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, sha256, nullptr) != 1) {
    // Only an OpenSSL without SHA-256 (a broken installation) gets here; the store's guard turns
    // it into kInternal and the write rolls back.
    throw std::runtime_error("OpenSSL could not compute SHA-256 for the audit hash chain");
  }
  return hex(digest.data(), size);
}

std::vector<ChainValue> chainValuesOfRow(const SQLite::Statement& row) {
  std::vector<ChainValue> values;
  values.reserve(kAuditChainedColumnCount);
  for (int i = 0; i < kAuditChainedColumnCount; ++i) {
    const SQLite::Column column = row.getColumn(i);
    switch (column.getType()) {
      case SQLITE_INTEGER:
        values.push_back(ChainValue::integer(column.getInt64()));
        break;
      case SQLITE_NULL:
        values.push_back(ChainValue::null());
        break;
      case SQLITE_FLOAT:
        values.push_back({'r', column.getString()});
        break;
      case SQLITE_BLOB:
        values.push_back({'b', column.getString()});
        break;
      default:
        values.push_back(ChainValue::text(column.getString()));
        break;
    }
  }
  return values;
}

void backfillAuditChain(SQLite::Database& db) {
  std::string sql = "SELECT ";
  sql += kAuditChainedColumns;
  sql += " FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2";
  SQLite::Statement select(db, sql);
  SQLite::Statement update(db, "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE id = ?3");
  std::string prev(kAuditGenesisHash);
  int64_t after = 0;
  // Each pass takes the next batch; a batch shorter than asked is the last one. Bounded by the
  // number of rows: `after` strictly increases.
  for (bool more = true; more;) {
    struct Chained {
      int64_t id;
      std::string prevHash, hash;
    };
    std::vector<Chained> batch;
    select.reset();
    select.bind(1, after);
    select.bind(2, kBackfillBatch);
    while (select.executeStep()) {
      const auto values = chainValuesOfRow(select);
      std::string hash = auditHash(values, prev);
      batch.push_back({select.getColumn(0).getInt64(), prev, hash});
      prev = std::move(hash);
    }
    select.reset();  // no read open on the table while it is written below
    for (const Chained& c : batch) {
      update.reset();
      update.bind(1, c.prevHash);
      update.bind(2, c.hash);
      update.bind(3, c.id);
      update.exec();
    }
    more = static_cast<int64_t>(batch.size()) == kBackfillBatch;
    if (!batch.empty()) after = batch.back().id;
  }
}

}  // namespace appkeeper::store
