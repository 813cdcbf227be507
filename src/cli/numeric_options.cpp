#include "cli/numeric_options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace coherence::cli {

std::string numeric_option_error(const std::string& type, std::string& text) {
  if (type.rfind("FLOAT", 0) == 0) {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) return text + ": not a number";
    if (!std::isfinite(v)) {
      return text + ": must be a finite number (NaN and infinities are not accepted)";
    }
    return {};
  }
  const bool is_unsigned = type.rfind("UINT", 0) == 0;
  if (!is_unsigned && type.rfind("INT", 0) != 0) return {};
  // Plain decimal digits (CLI11 would read 010 as octal and 0x10 as hexadecimal).
  std::size_t k = 0;
  if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
  if (k == text.size()) return text + ": not an integer";
  for (std::size_t i = k; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return text + ": not an integer";
  }
  errno = 0;
  if (is_unsigned) {
    if (text[0] == '-') return text + ": must not be negative";
    std::strtoull(text.c_str(), nullptr, 10);
  } else {
    std::strtoll(text.c_str(), nullptr, 10);
  }
  if (errno == ERANGE) return text + ": out of range for an integer";
  // Leading zeros dropped: CLI11 converts with base 0, where 010 would be octal 8.
  const std::size_t first = text.find_first_not_of('0', k);
  text.erase(k, (first == std::string::npos ? text.size() - 1 : first) - k);
  return {};
}

void check_numeric_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type.rfind("FLOAT", 0) != 0 && type.rfind("INT", 0) != 0 && type.rfind("UINT", 0) != 0) continue;
    const std::string base = type.substr(0, type.find(':'));
    // A transform runs first (before any Range check) and may rewrite the text (leading zeros).
    opt->transform(CLI::Validator([base](std::string& text) { return numeric_option_error(base, text); }, "", "finite"));
  }
  for (CLI::App* sub : app.get_subcommands({})) check_numeric_options(*sub);
}

}  // namespace coherence::cli
