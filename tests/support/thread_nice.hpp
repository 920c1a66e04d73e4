// The nice value of each thread of a process, from /proc/PID/task/*/stat (field 19), for the tests of
// jobs' priority (jobs::ServiceOptions::job_nice, `serve --job-nice`). Header-only; Linux.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace claudelens::testing {

/// The nice values of the threads of process `pid` (default: this one), the main thread first.
inline std::vector<int> thread_nice_values(pid_t pid = 0) {
  const std::string dir = pid == 0 ? "/proc/self/task" : "/proc/" + std::to_string(pid) + "/task";
  std::vector<std::filesystem::path> tasks;
  for (const auto& task : std::filesystem::directory_iterator(dir)) tasks.push_back(task.path());
  std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) {
    return std::stol(a.filename().string()) < std::stol(b.filename().string());  // the main thread's id is the pid
  });
  std::vector<int> values;
  for (const auto& task : tasks) {
    std::ifstream in(task / "stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (stat.empty()) continue;                                   // the thread ended meanwhile
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
    }
    values.push_back(std::stoi(field));
  }
  return values;
}

}  // namespace claudelens::testing
