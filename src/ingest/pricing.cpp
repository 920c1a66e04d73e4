#include "ingest/pricing.hpp"

#include <algorithm>
#include <array>

namespace claudelens::ingest {
namespace {

constexpr ModelPrice price(std::string_view prefix, double input, double output) {
  return ModelPrice{prefix, input, output, input * 1.25, input * 2.0, input * 0.1};
}

// Longer prefixes first: "claude-opus-4-5" must win over "claude-opus-4".
constexpr std::array k_prices = {
    price("claude-opus-4-5", 5, 25),   price("claude-opus-4-6", 5, 25),     price("claude-opus-4-7", 5, 25),
    price("claude-opus-4", 15, 75),    price("claude-sonnet-4", 3, 15),     price("claude-haiku-4", 1, 5),
    price("claude-3-7-sonnet", 3, 15), price("claude-3-5-sonnet", 3, 15),   price("claude-3-5-haiku", 0.8, 4),
    price("claude-3-opus", 15, 75),    price("claude-3-haiku", 0.25, 1.25),
};

}  // namespace

std::optional<ModelPrice> find_price(std::string_view model) noexcept {
  for (const ModelPrice& p : k_prices)
    if (model.starts_with(p.prefix)) return p;
  return std::nullopt;
}

double cost_usd(std::string_view model, const store::Usage& usage, std::int64_t cache_write_1h_tokens) noexcept {
  const auto p = find_price(model);
  if (!p) return 0;
  const std::int64_t write_1h = std::clamp<std::int64_t>(cache_write_1h_tokens, 0, usage.cache_creation_tokens);
  const std::int64_t write_5m = usage.cache_creation_tokens - write_1h;
  const double per_token = 1e-6;
  return per_token *
         (static_cast<double>(usage.input_tokens) * p->input + static_cast<double>(usage.output_tokens) * p->output +
          static_cast<double>(write_5m) * p->cache_write_5m + static_cast<double>(write_1h) * p->cache_write_1h +
          static_cast<double>(usage.cache_read_tokens) * p->cache_read);
}

}  // namespace claudelens::ingest
