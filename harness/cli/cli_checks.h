// Checks for the numbers and lists the CLI accepts, with one-line messages naming the bound, and
// the messages for unknown commands and flags (with the nearest known name).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace moebench {

// An integer (no sign for lo >= 0, no fraction) in [lo, hi]; hi defaults to the largest long.
CLI::Validator cli_integer(long lo, long hi = std::numeric_limits<long>::max());
// An unsigned 64-bit integer written without a sign (seeds).
CLI::Validator cli_unsigned();
// A number > lo (open) or >= lo (closed), and <= hi.
CLI::Validator cli_number_above(double lo, bool open, double hi = HUGE_VAL);
// A comma-separated list with at least one non-empty name.
CLI::Validator cli_name_list();
// A file to write: not a directory, in a directory that exists. Checked when the flags are read,
// so a long run never ends unable to write its results.
CLI::Validator cli_output_file();
// A directory to create or fill: not a file, and no file where one of its parents would be.
CLI::Validator cli_output_dir();

// "moebench model bench": the words that name a command.
std::string cli_command_path(const CLI::App* app);
// A command's section in a --config file: "run", "model.bench".
std::string cli_config_section(const CLI::App* app);

// One line for a failed parse: the unknown command or option with the nearest known name, else
// CLI11's message. `argv` is what was parsed.
std::string cli_parse_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                    char** argv);

// A command's InputError about a flag's value, named first ("--shard '3/2': need 0 <= i < N"),
// when that value came from the --config file and not the command line: the key's place instead
// of the flag, "FILE:LINE: key 'shard' in [run]: '3/2': need 0 <= i < N"; else "".
std::string cli_config_value_error(const CLI::App& app, const std::string& message, int argc,
                                   char** argv);

}  // namespace moebench
