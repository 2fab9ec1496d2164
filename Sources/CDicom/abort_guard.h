#ifndef CDICOM_ABORT_GUARD_H
#define CDICOM_ABORT_GUARD_H

// GDCM checks some invariants of the data it decodes with assert(), which calls abort() on a
// corrupt or truncated file: without this guard one bad file in a folder would kill segmadiff.
// While a guarded call runs on a thread, SIGABRT raised on that thread jumps back to the guard,
// which reports the file as unreadable. Anywhere else the signal goes to whatever handler was
// there before (the Swift runtime's crash reporter, or the default), so real crashes still crash.
// The jump skips the destructors of the abandoned GDCM objects: their memory leaks, once per
// corrupt file, which is the price of an error message instead of a dead process.

#include <csetjmp>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>

namespace cdicom {

/// The jump target of the guarded call running on this thread, or null.
extern thread_local sigjmp_buf *abort_target;

/// Once per process: installs the SIGABRT handler, and silences GDCM's own warnings and errors on
/// stderr (a user sees segmadiff's one-line message instead).
void prepare();

inline void set_error(char *error, size_t size, const std::string &text) {
  if (error && size > 0) std::snprintf(error, size, "%s", text.c_str());
}

/// While one exists, stderr goes to /dev/null: a failed assert() prints its own line before it
/// aborts, and the user is to see segmadiff's one-line message only. GDCM calls are serialised by
/// the guard, so no other thread's reading or writing runs meanwhile.
class QuietStderr {
 public:
  QuietStderr();
  ~QuietStderr();
 private:
  int saved_;
};

/// Held across each guarded call: the SIGABRT jump and the stderr swap assume one call at a time.
std::mutex &call_lock();

/// Runs `body` (returning a CD_* code), turning exceptions and GDCM's aborts into CD_ERROR.
template <typename Body>
int guarded(char *error, size_t error_size, Body body) {
  prepare();
  std::lock_guard<std::mutex> one_at_a_time(call_lock());
  QuietStderr quiet;
  sigjmp_buf target;
  if (sigsetjmp(target, 1) != 0) {
    abort_target = nullptr;
    set_error(error, error_size, "the DICOM library stopped on it (the file is corrupt or truncated)");
    return 1;
  }
  abort_target = &target;
  int status;
  try {
    status = body();
  } catch (const std::exception &e) {
    set_error(error, error_size, std::string("the DICOM library failed: ") + e.what());
    status = 1;
  } catch (...) {
    set_error(error, error_size, "the DICOM library failed with an unknown error");
    status = 1;
  }
  abort_target = nullptr;
  return status;
}

}  // namespace cdicom

#endif
