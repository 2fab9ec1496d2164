#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

// A flat C API over libpng, libjpeg and zlib. Those libraries report errors by longjmp, which
// Swift frames cannot survive, so every entry point here sets up its own setjmp and returns an
// error code with a message instead. Buffers handed out are malloc'd; release them with ic_free.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { IC_OK = 0, IC_ERROR = 1 };

/// The largest image the decoders accept, checked against the header before any pixel memory is
/// allocated: a few bytes of PNG or JPEG can claim 60000 x 60000 pixels. 32768 per side and 2^28
/// pixels (a 16384 x 16384 scan; 2 GiB as 16-bit RGBA) are far above any medical slice.
enum { IC_MAX_SIDE = 32768 };
#define IC_MAX_PIXELS ((uint64_t)1 << 28)

/// Checks a header's claimed size; IC_ERROR with a message naming the size and the limits.
int ic_check_image_size(uint64_t width, uint64_t height, char *error, size_t error_size);

/// A decoded raster: rows top to bottom, samples interleaved, native byte order.
typedef struct {
  void *pixels;            // width * height * channels samples, uint8 (bit_depth <= 8) or uint16 (16)
  int32_t width, height;
  int32_t channels;        // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (palette images: 1, the indices)
  int32_t bit_depth;       // bits per sample in the file: 1, 2, 4, 8 or 16; values are not rescaled
  int32_t is_palette;      // 1 when `pixels` holds palette indices (labels stay labels)
  int32_t palette_size;    // entries in `palette`
  uint8_t palette[256 * 3];  // RGB triples, for showing a palette image as colours
} ic_image;

/// Decodes a PNG or JPEG held in memory (the format is sniffed from its first bytes).
/// On failure returns IC_ERROR and writes a message to `error` (NUL-terminated, at most error_size).
int ic_decode(const void *data, size_t size, ic_image *out, char *error, size_t error_size);

/// Frees the pixels of a decoded image (the struct itself is the caller's).
void ic_image_free(ic_image *image);

/// Encodes 8- or 16-bit samples (native byte order) with 1-4 channels as a PNG in a malloc'd buffer.
int ic_encode_png(const void *pixels, int32_t width, int32_t height, int32_t channels, int32_t bit_depth,
                  void **out, size_t *out_size, char *error, size_t error_size);

/// Encodes 8-bit grey or RGB samples as a baseline JPEG (quality 1-100) in a malloc'd buffer.
int ic_encode_jpeg(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels, int32_t quality,
                   void **out, size_t *out_size, char *error, size_t error_size);

/// Reads a file through zlib (gzip-compressed files are inflated, others read as they are), but at
/// most `limit` bytes: the caller derives the limit from the header, so a small .gz that inflates
/// to terabytes (a gzip bomb) costs no more memory than the volume its header describes.
int ic_read_maybe_gzip(const char *path, size_t limit, void **out, size_t *out_size, char *error, size_t error_size);

/// Writes `size` bytes gzip-compressed to `path`.
int ic_write_gzip(const char *path, const void *data, size_t size, char *error, size_t error_size);

void ic_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
