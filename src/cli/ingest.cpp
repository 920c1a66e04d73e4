#include "cli/context.hpp"

namespace claudelens::cli {

void add_ingest_command(CLI::App& app, Context& ctx) {}

}  // namespace claudelens::cli
