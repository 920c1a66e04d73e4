// Runs the built `claudelens` binary (CLAUDELENS_BIN) as a child process and captures its stdout,
// stderr and exit code, for integration tests. Both pipes are drained together (poll), so commands
// that print megabytes (export) cannot deadlock. stdin is /dev/null. Header-only; not thread-safe
// with respect to concurrent changes of the environment. A child that reports an AddressSanitizer,
// LeakSanitizer or UndefinedBehaviorSanitizer error (the build-asan binary) fails the running test,
// whatever its exit code.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace claudelens::testing {

struct CliResult {
  int exit_code = -1;  ///< the process's exit status; 128 + signal when killed by one
  std::string out;
  std::string err;
};

/// Runs `program args...` and waits for it.
inline CliResult run_program(const std::string& program, const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + program);
  }
  CliResult result;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_fds = 2;
  std::vector<char> buf(1 << 16);
  while (open_fds > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (const char* report :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer"})
    if (result.err.find(report) != std::string::npos)
      ADD_FAILURE() << program << " (exit code " << result.exit_code << ") reported a sanitizer error:\n" << result.err;
  return result;
}

/// Runs `claudelens args...`.
inline CliResult run_cli(const std::vector<std::string>& args) {
  return run_program(CLAUDELENS_BIN, args);
}

/// Debian's libfaketime, preloaded by run_cli_at (scripts/bootstrap installs the `faketime` package).
inline constexpr const char* k_libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Runs `claudelens args...` with its system clock starting at `when` ("YYYY-MM-DD hh:mm:ss", UTC).
/// libfaketime is preloaded through `env` rather than the `faketime` wrapper: the wrapper keeps its
/// start time in POSIX shared memory named after its process id, and a stale entry left by an earlier
/// wrapper with a reused id makes it fail ("sem_open: File exists"); one process needs no sharing.
inline CliResult run_cli_at(const std::string& when, const std::vector<std::string>& args) {
  std::vector<std::string> all{"LD_PRELOAD=" + std::string(k_libfaketime), "FAKETIME=@" + when, "TZ=UTC",
                               CLAUDELENS_BIN};
  all.insert(all.end(), args.begin(), args.end());
  return run_program("/usr/bin/env", all);
}

}  // namespace claudelens::testing
