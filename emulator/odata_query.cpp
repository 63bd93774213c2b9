#include "emulator/odata_query.h"

#include <cctype>

namespace appkeeper::emulator {
namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '@';
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool isName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isNameChar(c)) return false;
  }
  return true;
}

// Splits at `sep` outside parentheses and quotes; nullopt on unbalanced input.
std::optional<std::vector<std::string>> splitTop(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') quoted = !quoted;
    if (!quoted) {
      if (c == '(') ++depth;
      if (c == ')' && --depth < 0) return std::nullopt;
      if (c == sep && depth == 0) {
        out.push_back(cur);
        cur.clear();
        continue;
      }
    }
    cur += c;
  }
  if (depth != 0 || quoted) return std::nullopt;
  out.push_back(cur);
  return out;
}

Error unsupported(const std::string& what) { return Error::invalidInput(what); }

// Recursive-descent over tokens: expr := term ('and' term)* ; term := '(' expr ')' | path eq 'lit'
class FilterParser {
 public:
  explicit FilterParser(const std::string& text) : text_(text) {}

  Result<std::vector<FilterClause>> parse() {
    std::vector<FilterClause> out;
    if (auto s = expr(out, 0); !s) return s.error();
    skipSpace();
    if (pos_ != text_.size()) {
      return unsupported("Invalid $filter: unexpected '" + text_.substr(pos_, 20) +
                         "'. The emulator supports only 'property eq 'value'' comparisons "
                         "joined by 'and'.");
    }
    if (out.empty()) return unsupported("Invalid $filter: it is empty.");
    return out;
  }

 private:
  Status expr(std::vector<FilterClause>& out, int depth) {
    if (depth > 16) return unsupported("Invalid $filter: nested too deeply.");
    if (auto s = term(out, depth); !s) return s;
    while (true) {
      size_t save = pos_;
      std::string word = nextWord();
      if (word == "and") {
        if (auto s = term(out, depth); !s) return s;
        continue;
      }
      if (word == "or" || word == "not") {
        return unsupported("Invalid $filter: '" + word +
                           "' is not supported by the emulator; use 'eq' joined by 'and'.");
      }
      pos_ = save;
      return Ok{};
    }
  }

  Status term(std::vector<FilterClause>& out, int depth) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      if (auto s = expr(out, depth + 1); !s) return s;
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return unsupported("Invalid $filter: missing ')'.");
      }
      ++pos_;
      return Ok{};
    }
    std::string path = nextPath();
    if (path.empty()) return unsupported("Invalid $filter: expected a property name.");
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      return unsupported("Invalid $filter: the function or lambda '" + path +
                         "(...)' is not supported by the emulator.");
    }
    std::string op = nextWord();
    if (op != "eq") {
      return unsupported("Invalid $filter: operator '" + op +
                         "' is not supported by the emulator; only 'eq' is.");
    }
    skipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '\'') {
      return unsupported("Invalid $filter: '" + path +
                         " eq' must be followed by a quoted string such as 'value'.");
    }
    ++pos_;
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) return unsupported("Invalid $filter: unterminated string literal.");
      char c = text_[pos_++];
      if (c == '\'') {
        if (pos_ < text_.size() && text_[pos_] == '\'') {  // '' is an escaped quote
          value += '\'';
          ++pos_;
          continue;
        }
        break;
      }
      value += c;
    }
    out.push_back(FilterClause{path, value});
    return Ok{};
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  std::string nextWord() {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_])) != 0)
      ++pos_;
    std::string w = text_.substr(start, pos_ - start);
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return w;
  }

  std::string nextPath() {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && (isNameChar(text_[pos_]) || text_[pos_] == '/')) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  const std::string& text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<FilterClause>> parseFilter(const std::string& text) {
  return FilterParser(text).parse();
}

Result<std::vector<std::string>> parseSelect(const std::string& text) {
  std::vector<std::string> out;
  auto parts = splitTop(text, ',');
  if (!parts) return unsupported("Invalid $select: '" + text + "'.");
  for (const auto& raw : *parts) {
    std::string name = trim(raw);
    if (!isName(name)) {
      return unsupported("Invalid $select: '" + name + "' is not a property name.");
    }
    out.push_back(name);
  }
  return out;
}

Result<std::vector<ExpandItem>> parseExpand(const std::string& text) {
  std::vector<ExpandItem> out;
  auto parts = splitTop(text, ',');
  if (!parts) return unsupported("Invalid $expand: unbalanced parentheses in '" + text + "'.");
  for (const auto& raw : *parts) {
    std::string item = trim(raw);
    ExpandItem e;
    auto open = item.find('(');
    e.name = trim(item.substr(0, open));
    if (!isName(e.name)) return unsupported("Invalid $expand: '" + item + "'.");
    if (open != std::string::npos) {
      if (item.back() != ')') return unsupported("Invalid $expand: '" + item + "'.");
      std::string options = item.substr(open + 1, item.size() - open - 2);
      auto opts = splitTop(options, ';');
      if (!opts) return unsupported("Invalid $expand: '" + item + "'.");
      for (const auto& rawOpt : *opts) {
        std::string opt = trim(rawOpt);
        if (opt.empty()) continue;
        auto eq = opt.find('=');
        std::string key = trim(opt.substr(0, eq));
        if (key != "$select" || eq == std::string::npos) {
          return unsupported("Invalid $expand: the nested option '" + key +
                             "' is not supported by the emulator; only $select is.");
        }
        auto select = parseSelect(opt.substr(eq + 1));
        if (!select) return select.error();
        e.select = std::move(*select);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<ODataQuery> parseODataQuery(const std::map<std::string, std::string>& query) {
  ODataQuery q;
  for (const auto& [key, value] : query) {
    if (key.empty() || key[0] != '$') continue;
    if (key == "$filter") {
      auto f = parseFilter(value);
      if (!f) return f.error();
      q.filter = std::move(*f);
    } else if (key == "$expand") {
      auto e = parseExpand(value);
      if (!e) return e.error();
      q.expand = std::move(*e);
    } else if (key == "$select") {
      auto s = parseSelect(value);
      if (!s) return s.error();
      q.select = std::move(*s);
    } else if (key == "$top") {
      size_t n = 0;
      bool digits = !value.empty() && value.size() <= 9;
      for (char c : value) {
        if (c < '0' || c > '9') digits = false;
      }
      if (digits) n = std::stoul(value);
      if (!digits || n < 1 || n > kMaxTop) {
        // Graph's wording for directory resources.
        return unsupported("Invalid page size specified: '" + value +
                           "'. Must be between 1 and 999 inclusive.");
      }
      q.top = n;
    } else if (key == "$skiptoken") {
      q.skipToken = value;
    } else if (key == "$count") {
      if (value != "true" && value != "false") {
        return unsupported("Invalid $count: '" + value + "'; use true or false.");
      }
      q.count = value == "true";
    } else {
      return unsupported("Query option '" + key + "' is not supported by the emulator.");
    }
  }
  return q;
}

}  // namespace appkeeper::emulator
