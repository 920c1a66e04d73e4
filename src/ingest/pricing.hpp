// Per-model prices of the Claude models that appear in Claude Code transcripts, and the cost of one
// line's `message.usage`. Prices are USD per million tokens as published by Anthropic; a model not in
// the table costs 0 (its tokens are still counted). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "store/store.hpp"

namespace claudelens::ingest {

struct ModelPrice {
  std::string_view prefix;    ///< matches every model id that starts with it ("claude-sonnet-4")
  double input = 0;           ///< per Mtok of uncached input
  double output = 0;          ///< per Mtok of output
  double cache_write_5m = 0;  ///< per Mtok written to the 5-minute cache (1.25 x input)
  double cache_write_1h = 0;  ///< per Mtok written to the 1-hour cache (2 x input)
  double cache_read = 0;      ///< per Mtok read from the cache (0.1 x input)
};

/// The price of `model` (longest matching prefix), nullopt when unknown ("<synthetic>", new models).
std::optional<ModelPrice> find_price(std::string_view model) noexcept;

/// The cost in USD of `usage`'s tokens for `model`. `cache_write_1h_tokens` is the part of
/// usage.cache_creation_tokens written to the 1-hour cache (the rest is priced as 5-minute writes).
double cost_usd(std::string_view model, const store::Usage& usage, std::int64_t cache_write_1h_tokens = 0) noexcept;

}  // namespace claudelens::ingest
