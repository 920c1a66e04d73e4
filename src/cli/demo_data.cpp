#include "cli/context.hpp"

namespace claudelens::cli {

void add_demo_data_command(CLI::App& app, Context& ctx) {}

}  // namespace claudelens::cli
