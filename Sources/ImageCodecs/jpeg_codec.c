// JPEG through libjpeg. Any warning about corrupt data (a truncated file, for one) is treated as a
// failure: libjpeg would otherwise fill the missing rows with grey and a model would train on them.
#include "codec_internal.h"

#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void on_jpeg_error(j_common_ptr info) {
  jpeg_failure *failure = (jpeg_failure *)info->err;
  (*info->err->format_message)(info, failure->message);
  longjmp(failure->jump, 1);
}

// msg_level < 0 is a warning about the data; trace messages (>= 0) are ignored.
static void on_jpeg_message(j_common_ptr info, int msg_level) {
  if (msg_level < 0) on_jpeg_error(info);
}

int ic_decode_jpeg(const void *data, size_t size, ic_image *out, char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  jpeg_failure failure;
  memset(&failure, 0, sizeof failure);
  info.err = jpeg_std_error(&failure.base);
  failure.base.error_exit = on_jpeg_error;
  failure.base.emit_message = on_jpeg_message;
  unsigned char *volatile pixels = NULL;
  if (setjmp(failure.jump)) {
    free(pixels);
    jpeg_destroy_decompress(&info);
    memset(out, 0, sizeof *out);
    return ic_fail(error, error_size, "corrupt JPEG: %s", failure.message);
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, (const unsigned char *)data, (unsigned long)size);
  jpeg_read_header(&info, TRUE);
  // Before any pixel memory: the header alone can claim gigapixels.
  if (ic_check_image_size(info.image_width, info.image_height, failure.message, sizeof failure.message) != IC_OK) {
    jpeg_destroy_decompress(&info);
    memset(out, 0, sizeof *out);
    return ic_fail(error, error_size, "%s", failure.message);
  }
  if (info.num_components == 1) {
    info.out_color_space = JCS_GRAYSCALE;
  } else if (info.num_components == 3) {
    info.out_color_space = JCS_RGB;
  } else {
    snprintf(failure.message, sizeof failure.message, "%d colour components (CMYK?) are not supported",
             info.num_components);
    longjmp(failure.jump, 1);
  }
  jpeg_start_decompress(&info);
  size_t row_bytes = (size_t)info.output_width * info.output_components;
  pixels = malloc(row_bytes * info.output_height);
  if (!pixels) {
    snprintf(failure.message, sizeof failure.message, "out of memory");
    longjmp(failure.jump, 1);
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + info.output_scanline * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  out->pixels = pixels;
  out->width = (int32_t)info.output_width;
  out->height = (int32_t)info.output_height;
  out->channels = info.output_components;
  out->bit_depth = 8;
  out->is_palette = 0;
  out->palette_size = 0;
  jpeg_destroy_decompress(&info);
  return IC_OK;
}

int ic_encode_jpeg(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels, int32_t quality,
                   void **out, size_t *out_size, char *error, size_t error_size) {
  if (channels != 1 && channels != 3) return ic_fail(error, error_size, "JPEG needs 1 or 3 channels, not %d", channels);
  struct jpeg_compress_struct info;
  jpeg_failure failure;
  memset(&failure, 0, sizeof failure);
  info.err = jpeg_std_error(&failure.base);
  failure.base.error_exit = on_jpeg_error;
  unsigned char *volatile buffer = NULL;
  unsigned long buffer_size = 0;
  if (setjmp(failure.jump)) {
    jpeg_destroy_compress(&info);
    free(buffer);
    return ic_fail(error, error_size, "cannot encode JPEG: %s", failure.message);
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, (unsigned char **)&buffer, &buffer_size);
  info.image_width = (JDIMENSION)width;
  info.image_height = (JDIMENSION)height;
  info.input_components = channels;
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  size_t row_bytes = (size_t)width * channels;
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + info.next_scanline * row_bytes);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  *out = buffer;
  *out_size = buffer_size;
  return IC_OK;
}
