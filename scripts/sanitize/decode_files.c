// Decodes every file named on the command line through the ImageCodecs entry points, then
// truncated and corrupted variants of each, for scripts/sanitize.sh: built with ASan and UBSan, any
// out-of-bounds access, overflow or misuse in the codec wrappers (or the longjmp paths through
// libpng and libjpeg) stops the run with a report. Decode failures are expected and only counted.
// PNG and JPEG go through ic_decode; anything else through ic_read_maybe_gzip (NIfTI, .nii.gz).
#include "image_codecs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int decoded, refused;

static void decode(const unsigned char *data, size_t size) {
  ic_image image;
  char error[512];
  if (ic_decode(data, size, &image, error, sizeof error) == IC_OK) {
    // Touch every sample: a short buffer would show here under ASan.
    size_t samples = (size_t)image.width * image.height * image.channels * (image.bit_depth == 16 ? 2 : 1);
    volatile unsigned sum = 0;
    for (size_t i = 0; i < samples; i++) sum += ((unsigned char *)image.pixels)[i];
    ic_image_free(&image);
    decoded++;
  } else {
    if (!memchr(error, 0, sizeof error) || error[0] == 0) { fprintf(stderr, "decode_files: refusal without a message\n"); abort(); }
    refused++;
  }
}

static void read_gzip(const unsigned char *data, size_t size, const char *folder) {
  char path[4096];
  snprintf(path, sizeof path, "%s/variant", folder);
  FILE *file = fopen(path, "wb");
  if (!file || fwrite(data, 1, size, file) != size || fclose(file) != 0) { perror(path); exit(2); }
  size_t limits[] = {0, 1, 348, 4096, 1 << 20};
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    void *out = NULL;
    size_t out_size = 0;
    char error[512];
    if (ic_read_maybe_gzip(path, limits[i], &out, &out_size, error, sizeof error) == IC_OK) {
      if (out_size > limits[i]) { fprintf(stderr, "decode_files: read %zu bytes past the limit %zu\n", out_size, limits[i]); abort(); }
      ic_free(out);
      decoded++;
    } else {
      refused++;
    }
  }
}

static void run(const unsigned char *data, size_t size, int image, const char *folder) {
  if (image) decode(data, size); else read_gzip(data, size, folder);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s SCRATCH_FOLDER FILE...\n", argv[0]); return 2; }
  uint64_t state = 0x9E3779B97F4A7C15u;
  for (int f = 2; f < argc; f++) {
    FILE *file = fopen(argv[f], "rb");
    if (!file) { perror(argv[f]); return 2; }
    fseek(file, 0, SEEK_END);
    size_t size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc(size ? size : 1);
    if (fread(data, 1, size, file) != size) { perror(argv[f]); return 2; }
    fclose(file);
    const char *dot = strrchr(argv[f], '.');
    int image = dot && (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg"));

    // The file itself, then every prefix at 64 cut points (a truncated download or copy).
    run(data, size, image, argv[1]);
    for (int cut = 0; cut < 64; cut++) {
      size_t length = size * cut / 64;
      unsigned char *prefix = malloc(length ? length : 1);  // exactly `length`: a read past it is caught
      memcpy(prefix, data, length);
      run(prefix, length, image, argv[1]);
      free(prefix);
    }
    // 256 corrupted copies: 1-8 bytes overwritten at random places, half of them in the first 64
    // bytes where the headers (sizes, types, offsets) are.
    unsigned char *copy = malloc(size ? size : 1);
    for (int variant = 0; variant < 256 && size > 0; variant++) {
      memcpy(copy, data, size);
      int changes = 1 + variant % 8;
      for (int c = 0; c < changes; c++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        size_t span = variant % 2 && size > 64 ? 64 : size;
        copy[(state >> 8) % span] = (unsigned char)(state >> 40);
      }
      run(copy, size, image, argv[1]);
    }
    free(copy);
    free(data);
  }
  printf("decode_files: %d files, %d decoded, %d refused, no sanitizer report\n", argc - 2, decoded, refused);
  return 0;
}
