// Whole-file reads and writes through zlib, for NIfTI volumes (.nii.gz, or plain .nii: gzread
// passes uncompressed files through unchanged).
#include "codec_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int ic_read_maybe_gzip(const char *path, size_t limit, void **out, size_t *out_size, char *error, size_t error_size) {
  gzFile file = gzopen(path, "rb");
  if (!file) return ic_fail(error, error_size, "%s", errno ? strerror(errno) : "cannot open");
  gzbuffer(file, 1 << 20);
  ic_buffer buffer = {0};
  unsigned char chunk[1 << 16];
  // Stops at `limit`: what lies past it is never inflated (see the header for why).
  while (buffer.size < limit) {
    size_t want = limit - buffer.size < sizeof chunk ? limit - buffer.size : sizeof chunk;
    int n = gzread(file, chunk, (unsigned)want);
    if (n < 0) {
      int code = 0;
      const char *message = gzerror(file, &code);
      int result = ic_fail(error, error_size, "corrupt gzip data: %s", message);
      gzclose(file);
      free(buffer.data);
      return result;
    }
    if (n == 0) break;
    if (!ic_buffer_append(&buffer, chunk, (size_t)n)) {
      gzclose(file);
      free(buffer.data);
      return ic_fail(error, error_size, "out of memory");
    }
  }
  // gzread returns 0 both at a clean end and when a gzip stream is cut short; gzclose tells them apart.
  // A read stopped at the limit leaves the stream unfinished on purpose, which is not a truncation.
  int stopped = buffer.size >= limit;
  int closed = gzclose(file);
  if (!stopped && (closed == Z_BUF_ERROR || closed == Z_DATA_ERROR)) {
    free(buffer.data);
    return ic_fail(error, error_size, "the gzip stream ends early (truncated file)");
  }
  *out = buffer.data;
  *out_size = buffer.size;
  return IC_OK;
}

int ic_write_gzip(const char *path, const void *data, size_t size, char *error, size_t error_size) {
  gzFile file = gzopen(path, "wb6");
  if (!file) return ic_fail(error, error_size, "%s", errno ? strerror(errno) : "cannot create");
  const unsigned char *bytes = data;
  size_t done = 0;
  while (done < size) {
    unsigned chunk = size - done > (1u << 30) ? (1u << 30) : (unsigned)(size - done);
    int n = gzwrite(file, bytes + done, chunk);
    if (n <= 0) {
      int code = 0;
      int result = ic_fail(error, error_size, "cannot write: %s", gzerror(file, &code));
      gzclose(file);
      return result;
    }
    done += (size_t)n;
  }
  if (gzclose(file) != Z_OK) return ic_fail(error, error_size, "cannot finish writing");
  return IC_OK;
}
