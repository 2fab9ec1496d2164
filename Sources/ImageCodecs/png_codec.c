// PNG through libpng. Samples keep their stored values: palette images give their indices (so a
// palette label map keeps its labels), 16-bit stays 16-bit, 1/2/4-bit samples are unpacked but not
// rescaled. Alpha channels are kept; the caller decides what to drop.
#include "codec_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  jmp_buf jump;
  char message[256];
} png_failure;

static void on_png_error(png_structp png, png_const_charp message) {
  png_failure *failure = png_get_error_ptr(png);
  snprintf(failure->message, sizeof failure->message, "%s", message);
  longjmp(failure->jump, 1);
}

// Warnings (bad CRCs in ancillary chunks, unknown profiles) are not failures and not worth printing.
static void on_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

typedef struct {
  const unsigned char *data;
  size_t size, offset;
} png_source;

static void read_from_memory(png_structp png, png_bytep into, png_size_t count) {
  png_source *source = png_get_io_ptr(png);
  if (source->offset + count > source->size) png_error(png, "the file ends early (truncated PNG)");
  memcpy(into, source->data + source->offset, count);
  source->offset += count;
}

int ic_decode_png(const void *data, size_t size, ic_image *out, char *error, size_t error_size) {
  png_failure failure = {.message = ""};
  png_source source = {data, size, 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
  if (!png) return ic_fail(error, error_size, "out of memory");
  png_infop info = png_create_info_struct(png);
  unsigned char *volatile pixels = NULL;
  png_bytep *volatile rows = NULL;
  if (!info || setjmp(failure.jump)) {
    free(pixels);
    free(rows);
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    memset(out, 0, sizeof *out);
    return ic_fail(error, error_size, "corrupt PNG: %s", failure.message[0] ? failure.message : "out of memory");
  }
  png_set_read_fn(png, &source, read_from_memory);
  // Medical images can be large; the default 1M-pixel limit would reject a 2048x2048 scan.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);

  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  // Before any pixel memory: the header alone can claim gigapixels.
  if (ic_check_image_size(width, height, failure.message, sizeof failure.message) != IC_OK) {
    png_destroy_read_struct(&png, &info, NULL);
    memset(out, 0, sizeof *out);
    return ic_fail(error, error_size, "%s", failure.message);
  }
  // Nor may a small file claim an image it cannot hold: deflate compresses at most 1032:1, so a
  // file of `size` bytes holds at most size * 1032 bytes of pixel rows. Without this, a 69-byte PNG
  // claiming 16384x16384 16-bit RGBA (within the limits above) allocated 2 GiB before failing.
  uint64_t packed_bytes = (uint64_t)height * png_get_rowbytes(png, info);
  if (packed_bytes / IC_DEFLATE_MAX_RATIO > size) {
    png_destroy_read_struct(&png, &info, NULL);
    memset(out, 0, sizeof *out);
    return ic_fail(error, error_size,
                   "the header says %lux%lu pixels, which cannot fit in a %zu-byte file; the file is truncated or corrupt",
                   (unsigned long)width, (unsigned long)height, size);
  }
  int color_type = png_get_color_type(png, info);
  int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth < 8) png_set_packing(png);  // one sample per byte, values unchanged
  if (bit_depth == 16) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) png_set_swap(png);  // PNG is big-endian; hand out native order
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  int channels = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != (size_t)width * channels * (bit_depth == 16 ? 2 : 1))
    png_error(png, "unexpected row layout");
  pixels = malloc(row_bytes * height);
  rows = malloc(sizeof(png_bytep) * height);
  if (!pixels || !rows) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, NULL);

  out->pixels = pixels;
  out->width = (int32_t)width;
  out->height = (int32_t)height;
  out->channels = channels;
  out->bit_depth = bit_depth;
  out->is_palette = color_type == PNG_COLOR_TYPE_PALETTE;
  out->palette_size = 0;
  if (out->is_palette) {
    png_colorp palette = NULL;
    int count = 0;
    if (png_get_PLTE(png, info, &palette, &count) && palette) {
      out->palette_size = count > 256 ? 256 : count;
      for (int i = 0; i < out->palette_size; i++) {
        out->palette[3 * i] = palette[i].red;
        out->palette[3 * i + 1] = palette[i].green;
        out->palette[3 * i + 2] = palette[i].blue;
      }
    }
  }
  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  return IC_OK;
}

static void write_to_buffer(png_structp png, png_bytep bytes, png_size_t count) {
  if (!ic_buffer_append(png_get_io_ptr(png), bytes, count)) png_error(png, "out of memory");
}

static void flush_nothing(png_structp png) { (void)png; }

int ic_encode_png(const void *pixels, int32_t width, int32_t height, int32_t channels, int32_t bit_depth,
                  void **out, size_t *out_size, char *error, size_t error_size) {
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
  if (channels < 1 || channels > 4) return ic_fail(error, error_size, "PNG needs 1-4 channels, not %d", channels);
  if (bit_depth != 8 && bit_depth != 16) return ic_fail(error, error_size, "PNG bit depth must be 8 or 16, not %d", bit_depth);
  if (width <= 0 || height <= 0) return ic_fail(error, error_size, "empty image (%dx%d)", width, height);

  png_failure failure = {.message = ""};
  ic_buffer buffer = {0};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
  if (!png) return ic_fail(error, error_size, "out of memory");
  png_infop info = png_create_info_struct(png);
  png_bytep *volatile rows = NULL;
  if (!info || setjmp(failure.jump)) {
    free(rows);
    free(buffer.data);
    png_destroy_write_struct(&png, info ? &info : NULL);
    return ic_fail(error, error_size, "cannot encode PNG: %s", failure.message[0] ? failure.message : "out of memory");
  }
  png_set_write_fn(png, &buffer, write_to_buffer, flush_nothing);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_types[channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  // Level 3 writes several times faster than the default 6, for files a few percent larger.
  png_set_compression_level(png, 3);
  png_write_info(png, info);
  if (bit_depth == 16) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) png_set_swap(png);
  }
  size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
  rows = malloc(sizeof(png_bytep) * height);
  if (!rows) png_error(png, "out of memory");
  for (int32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + y * row_bytes;
  png_write_image(png, rows);
  png_write_end(png, NULL);
  free(rows);
  png_destroy_write_struct(&png, &info);
  *out = buffer.data;
  *out_size = buffer.size;
  return IC_OK;
}
