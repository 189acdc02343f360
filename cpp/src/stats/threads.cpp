#include "chipwar/common.hpp"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace chipwar {
namespace {

int default_threads() {
  if (const char* env = std::getenv("CHIPWAR_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> n{default_threads()};
  return n;
}

}  // namespace

int num_threads() { return thread_setting().load(); }

void set_num_threads(int n) {
  if (n < 1) throw Error("set_num_threads: the number of threads must be at least 1, got " + std::to_string(n));
  thread_setting().store(n);
}

}  // namespace chipwar
