// Format dispatch and shared helpers; the codecs themselves live in png_codec.c and jpeg_codec.c.
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

int ic_decode(const void *data, size_t size, ic_image *out, char *error, size_t error_size) {
  memset(out, 0, sizeof *out);
  const unsigned char *bytes = data;
  static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && memcmp(bytes, png_magic, 8) == 0) return ic_decode_png(data, size, out, error, error_size);
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return ic_decode_jpeg(data, size, out, error, error_size);
  if (size == 0) return ic_fail(error, error_size, "the file is empty");
  return ic_fail(error, error_size, "not a PNG or JPEG file");
}

void ic_image_free(ic_image *image) {
  if (!image) return;
  free(image->pixels);
  image->pixels = NULL;
}

void ic_free(void *buffer) { free(buffer); }

int ic_buffer_append(ic_buffer *buffer, const void *bytes, size_t count) {
  if (buffer->failed) return 0;
  if (buffer->size + count > buffer->capacity) {
    size_t capacity = buffer->capacity ? buffer->capacity : 65536;
    while (capacity < buffer->size + count) capacity *= 2;
    unsigned char *grown = realloc(buffer->data, capacity);
    if (!grown) {
      buffer->failed = 1;
      return 0;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->data + buffer->size, bytes, count);
  buffer->size += count;
  return 1;
}

int ic_check_image_size(uint64_t width, uint64_t height, char *error, size_t error_size) {
  if (width == 0 || height == 0) return ic_fail(error, error_size, "the header says %llux%llu pixels (an empty image)",
                                                (unsigned long long)width, (unsigned long long)height);
  if (width > IC_MAX_SIDE || height > IC_MAX_SIDE || width * height > IC_MAX_PIXELS)
    return ic_fail(error, error_size,
                   "the header says %llux%llu pixels, more than segmadiff reads (at most %d per side and %llu pixels); "
                   "downscale the image or check that the file is not corrupt",
                   (unsigned long long)width, (unsigned long long)height, IC_MAX_SIDE, (unsigned long long)IC_MAX_PIXELS);
  return IC_OK;
}
