#ifndef IMAGE_CODECS_INTERNAL_H
#define IMAGE_CODECS_INTERNAL_H

#include "image_codecs.h"

#include <stdarg.h>
#include <stdio.h>

// Writes a printf-style message into the caller's error buffer and returns IC_ERROR.
static inline int ic_fail(char *error, size_t error_size, const char *format, ...) {
  if (error && error_size > 0) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
  }
  return IC_ERROR;
}

// A growable output buffer for the encoders (they hand the caller one malloc'd block).
typedef struct {
  unsigned char *data;
  size_t size, capacity;
  int failed;
} ic_buffer;

// The most deflate can compress (a 258-byte match in 2 bits): no PNG's pixel rows are more than
// this many times the size of the file holding them.
#define IC_DEFLATE_MAX_RATIO 1032

int ic_buffer_append(ic_buffer *buffer, const void *bytes, size_t count);

int ic_decode_png(const void *data, size_t size, ic_image *out, char *error, size_t error_size);
int ic_decode_jpeg(const void *data, size_t size, ic_image *out, char *error, size_t error_size);

#endif
