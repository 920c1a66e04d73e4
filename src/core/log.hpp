// Logging: spdlog to stderr. Call init_logging once from main; elsewhere use spdlog's free functions
// (spdlog::info, spdlog::warn, ...), which are thread-safe.
#pragma once

#include <string_view>

namespace claudelens {

/// level: "trace" | "debug" | "info" | "warn" | "error" | "off". Unknown values mean "info".
void init_logging(std::string_view level);

}  // namespace claudelens
