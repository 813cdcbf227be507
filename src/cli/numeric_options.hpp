// One validation layer for the numeric options of every subcommand: registered once in `main`
// after the subcommands, it checks the text of every FLOAT and INT option before CLI11 converts
// it. CLI11's own conversion lets NaN and infinities through (and its Range checks cannot see
// NaN: every comparison with it is false) and saturates an integer that overflows (strtoll); here
// a floating-point value must be a finite decimal number and an integer must be plain decimal
// digits within its type's range. A violation is a CLI11 validation error: one line, exit 2.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace coherence::cli {

// The error message for `text` given to an option of CLI11 type `type` ("FLOAT", "INT", "UINT"),
// or an empty string when the text is acceptable; an integer's leading zeros are removed from
// `text` (CLI11 would read 010 as octal). Exposed for the tests and the fuzz target.
std::string numeric_option_error(const std::string& type, std::string& text);

// Adds the check to every FLOAT, INT and UINT option of `app` and of its subcommands.
void check_numeric_options(CLI::App& app);

}  // namespace coherence::cli
