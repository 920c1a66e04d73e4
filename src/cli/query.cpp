#include "cli/context.hpp"

namespace claudelens::cli {

void add_query_commands(CLI::App& app, Context& ctx) {}

}  // namespace claudelens::cli
