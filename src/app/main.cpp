// claudelens: the server and admin CLI. Wiring only: everything lives in the libraries.
#include <cstdio>
#include <exception>

#include "cli/context.hpp"

int main(int argc, char** argv) {
  try {
    return claudelens::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claudelens: internal error: %s\n", e.what());
    return 1;
  }
}
