// Writes the JPEG seeds of the jpeg harness: small grey and RGB images, baseline and progressive
// (progressive files take libjpeg's other decoding path), at a few quality settings.
// Usage: jpeg_seeds OUTPUT_FOLDER
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>  // after stdio.h: it uses FILE and size_t without including them

static void write_jpeg(const char *folder, const char *name, int width, int height, int components,
                       int quality, int progressive) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  FILE *file = fopen(path, "wb");
  if (!file) { perror(path); exit(1); }
  struct jpeg_compress_struct info;
  struct jpeg_error_mgr errors;
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_width = width;
  info.image_height = height;
  info.input_components = components;
  info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  if (progressive) jpeg_simple_progression(&info);
  jpeg_start_compress(&info, TRUE);
  unsigned char *row = malloc((size_t)width * components);
  while (info.next_scanline < info.image_height) {
    // A head-like blob: a bright disc with a darker ring, so the coefficients are not all zero.
    int y = info.next_scanline;
    for (int x = 0; x < width; x++) {
      int dx = x - width / 2, dy = y - height / 2, r2 = dx * dx + dy * dy, r = width / 3;
      unsigned char v = r2 < r * r ? (r2 > (r - 3) * (r - 3) ? 90 : 200) : 10;
      for (int c = 0; c < components; c++) row[x * components + c] = (unsigned char)(v + 17 * c);
    }
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  free(row);
  fclose(file);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s OUTPUT_FOLDER\n", argv[0]); return 2; }
  write_jpeg(argv[1], "grey-16x16.jpg", 16, 16, 1, 90, 0);
  write_jpeg(argv[1], "rgb-24x16.jpg", 24, 16, 3, 75, 0);
  write_jpeg(argv[1], "grey-progressive-17x9.jpg", 17, 9, 1, 95, 1);
  write_jpeg(argv[1], "rgb-progressive-32x32.jpg", 32, 32, 3, 50, 1);
  return 0;
}
