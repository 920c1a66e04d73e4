// The one translation unit that compiles Asio and Beast (BOOST_*_SEPARATE_COMPILATION is set for every
// user of cl_http), so that the other files only include declarations. Keeps rebuilds fast on 2 cores.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
