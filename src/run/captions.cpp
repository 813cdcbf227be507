#include "run/captions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>

namespace coherence::run {

namespace {

struct Reference {
  const SampleColumn* column = nullptr;
  std::optional<double> at_min;  // else: the caption's time
  double divisor = 1.0;
  std::string format = ".3g";
};

[[noreturn]] void fail(const scenario::Scenario& s, const scenario::Caption& c, std::size_t index, const std::string& key,
                       const std::string& what) {
  throw scenario::InputError(
      fmt::format("{}:{}: captions.{}.{}: {}", s.file, key == "claims" ? c.claims_line : c.line, index, key, what));
}

// COLUMN[@MIN][/DIVISOR][:FORMAT]; nullopt with `why` when it does not parse.
std::optional<Reference> parse_reference(const std::string& text, std::string& why) {
  static const std::regex kPattern(R"(^([A-Za-z0-9_]+)(@(-?[0-9]+(\.[0-9]+)?))?(/([0-9]+(\.[0-9]+)?))?(:(\.[0-9][fg]))?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) {
    why = "must be COLUMN[@MIN][/DIVISOR][:.Nf]";
    return std::nullopt;
  }
  Reference r;
  r.column = find_column(m[1].str());
  if (!r.column) {
    why = fmt::format("no timeseries column '{}'", m[1].str());
    return std::nullopt;
  }
  if (m[3].matched) r.at_min = std::stod(m[3].str());
  if (m[6].matched) r.divisor = std::stod(m[6].str());
  if (!(r.divisor > 0.0)) {
    why = "the divisor must be positive";
    return std::nullopt;
  }
  if (m[9].matched) r.format = m[9].str();
  return r;
}

// Placeholders of a text in order, as (start, length, inside).
std::vector<std::tuple<std::size_t, std::size_t, std::string>> placeholders(const std::string& text) {
  std::vector<std::tuple<std::size_t, std::size_t, std::string>> out;
  std::size_t i = 0;
  while ((i = text.find('{', i)) != std::string::npos) {
    const std::size_t j = text.find('}', i);
    if (j == std::string::npos) {
      out.emplace_back(i, std::string::npos, text.substr(i));
      break;
    }
    out.emplace_back(i, j - i + 1, text.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  return out;
}

struct Claim {
  enum class Kind { kCompare, kRises, kFalls, kSteady } kind = Kind::kCompare;
  Reference ref;
  std::string op;
  double value = 0.0;
  std::optional<double> since_min;
};

std::optional<Claim> parse_claim(const std::string& text, std::string& why) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  Claim c;
  if (words.size() < 2) {
    why = "must be 'COLUMN OP NUMBER' or 'COLUMN rises|falls|steady [since MIN]'";
    return std::nullopt;
  }
  const auto ref = parse_reference(words[0], why);
  if (!ref) return std::nullopt;
  c.ref = *ref;
  if (words.size() == 3 && (words[1] == "<" || words[1] == "<=" || words[1] == ">" || words[1] == ">=")) {
    c.op = words[1];
    char* end = nullptr;
    c.value = std::strtod(words[2].c_str(), &end);
    if (end == words[2].c_str() || *end != '\0' || !std::isfinite(c.value)) {
      why = fmt::format("'{}' is not a number", words[2]);
      return std::nullopt;
    }
    return c;
  }
  if (words[1] == "rises" || words[1] == "falls" || words[1] == "steady") {
    c.kind = words[1] == "rises" ? Claim::Kind::kRises : words[1] == "falls" ? Claim::Kind::kFalls : Claim::Kind::kSteady;
    if (c.ref.at_min) {
      why = "rises/falls/steady compare the caption's time with an earlier one: use 'since MIN', not @";
      return std::nullopt;
    }
    if (words.size() == 2) return c;
    if (words.size() == 4 && words[2] == "since") {
      char* end = nullptr;
      c.since_min = std::strtod(words[3].c_str(), &end);
      if (end != words[3].c_str() && *end == '\0') return c;
    }
  }
  why = "must be 'COLUMN OP NUMBER' (OP < <= > >=) or 'COLUMN rises|falls|steady [since MIN]'";
  return std::nullopt;
}

// Linear interpolation of a column at time t (NaN outside the rows or at an empty cell).
double value_at(const std::vector<Sample>& rows, SampleMember column, double t) {
  if (rows.empty() || t < rows.front().time_min - 1e-9 || t > rows.back().time_min + 1e-9) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const auto it = std::lower_bound(rows.begin(), rows.end(), t,
                                   [](const Sample& row, double x) { return row.time_min < x; });
  if (it == rows.begin()) return (*it).*column;
  if (it == rows.end()) return rows.back().*column;
  const Sample& b = *it;
  const Sample& a = *(it - 1);
  if (b.time_min - a.time_min <= 0.0) return b.*column;
  const double u = (t - a.time_min) / (b.time_min - a.time_min);
  return a.*column + u * (b.*column - a.*column);
}

std::string formatted(double v, const std::string& format) {
  if (!std::isfinite(v)) return "-";
  return fmt::format(fmt::runtime("{:" + format + "}"), v);
}

}  // namespace

void check_captions(const scenario::Scenario& s) {
  for (std::size_t i = 0; i < s.captions.size(); ++i) {
    const auto& c = s.captions[i];
    for (const auto& [start, length, inside] : placeholders(c.text)) {
      if (length == std::string::npos) fail(s, c, i, "text", fmt::format("'{}': placeholder without a closing }}", inside));
      std::string why;
      if (!parse_reference(inside, why)) fail(s, c, i, "text", fmt::format("{{{}}}: {}", inside, why));
    }
    for (const auto& claim : c.claims) {
      std::string why;
      if (!parse_claim(claim, why)) fail(s, c, i, "claims", fmt::format("\"{}\": {}", claim, why));
    }
  }
}

bool captions_have_placeholders(const scenario::Scenario& s) {
  return std::any_of(s.captions.begin(), s.captions.end(),
                     [](const scenario::Caption& c) { return c.text.find('{') != std::string::npos; });
}

std::vector<CaptionResult> evaluate_captions(const scenario::Scenario& s, const std::vector<Sample>& rows) {
  check_captions(s);
  std::vector<CaptionResult> out;
  for (std::size_t i = 0; i < s.captions.size(); ++i) {
    const auto& c = s.captions[i];
    CaptionResult r;
    r.at_min = c.at_min;
    std::size_t from = 0;
    for (const auto& [start, length, inside] : placeholders(c.text)) {
      std::string why;
      const Reference ref = *parse_reference(inside, why);
      r.text += c.text.substr(from, start - from);
      r.text += formatted(value_at(rows, ref.column->member, ref.at_min.value_or(c.at_min)) / ref.divisor, ref.format);
      from = start + length;
    }
    r.text += c.text.substr(from);
    const double previous = i == 0 ? 0.0 : s.captions[i - 1].at_min;
    for (const auto& text : c.claims) {
      std::string why;
      const Claim claim = *parse_claim(text, why);
      const std::string_view name = claim.ref.column->name;
      const double t = claim.ref.at_min.value_or(c.at_min);
      const double v = value_at(rows, claim.ref.column->member, t) / claim.ref.divisor;
      ClaimResult cr;
      cr.claim = text;
      if (claim.kind == Claim::Kind::kCompare) {
        const double x = claim.value;
        cr.holds = std::isfinite(v) && (claim.op == "<"    ? v < x
                                         : claim.op == "<=" ? v <= x
                                         : claim.op == ">"  ? v > x
                                                            : v >= x);
        cr.detail = fmt::format("{} = {:.4g} at {:g} min", name, v, t);
      } else {
        const double t0 = claim.since_min.value_or(previous);
        const double v0 = value_at(rows, claim.ref.column->member, t0) / claim.ref.divisor;
        const double scale = std::max({std::abs(v0), std::abs(v), 1e-12});
        const double d = v - v0;
        cr.holds = std::isfinite(d) && (claim.kind == Claim::Kind::kRises   ? d > 0.01 * scale
                                        : claim.kind == Claim::Kind::kFalls ? d < -0.01 * scale
                                                                            : std::abs(d) <= 0.05 * scale);
        cr.detail = fmt::format("{} {:.4g} at {:g} min -> {:.4g} at {:g} min", name, v0, t0, v, t);
      }
      r.claims.push_back(cr);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace coherence::run
