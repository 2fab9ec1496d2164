#include "abort_guard.h"

#include <gdcmTrace.h>

#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace cdicom {

thread_local sigjmp_buf *abort_target = nullptr;

namespace {
struct sigaction previous_action;

void on_abort(int signal_number, siginfo_t *info, void *context) {
  if (sigjmp_buf *target = abort_target) {
    abort_target = nullptr;
    siglongjmp(*target, 1);
  }
  // Not ours: hand it on as if this handler had never been installed.
  if (previous_action.sa_flags & SA_SIGINFO) {
    previous_action.sa_sigaction(signal_number, info, context);
  } else if (previous_action.sa_handler != SIG_IGN && previous_action.sa_handler != SIG_DFL) {
    previous_action.sa_handler(signal_number);
  } else {
    sigaction(SIGABRT, &previous_action, nullptr);
    raise(SIGABRT);
  }
}
}  // namespace

void prepare() {
  static std::once_flag once;
  std::call_once(once, [] {
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetError(false);
    struct sigaction action = {};
    action.sa_sigaction = on_abort;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGABRT, &action, &previous_action);
  });
}

std::mutex &call_lock() {
  static std::mutex lock;
  return lock;
}

QuietStderr::QuietStderr() : saved_(dup(STDERR_FILENO)) {
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved_ >= 0 && null >= 0) dup2(null, STDERR_FILENO);
  if (null >= 0) close(null);
}

QuietStderr::~QuietStderr() {
  if (saved_ < 0) return;
  dup2(saved_, STDERR_FILENO);
  close(saved_);
}

}  // namespace cdicom
