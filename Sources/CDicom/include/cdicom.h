#ifndef CDICOM_H
#define CDICOM_H

// A flat C API over GDCM (Debian's libgdcm-dev), the DICOM library segmadiff reads and writes
// series with. GDCM is C++: every entry point here catches its exceptions, and stops its
// assert()/abort() on corrupt input (see abort_guard.h), returning an error code and a message
// instead, because neither an exception nor an abort may cross into Swift.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CD_OK = 0, CD_ERROR = 1, CD_NOT_DICOM = 2 };

/// The header fields of one DICOM file that say which series it belongs to, where its pixels sit
/// in the patient and how its stored values become real ones. Strings are NUL-terminated and
/// trimmed; a `has_*` flag is 0 when the file lacks the element.
typedef struct {
  char series_uid[72];
  char sop_uid[72];
  char frame_of_reference_uid[72];
  char modality[20];
  char photometric[24];          // MONOCHROME1, MONOCHROME2, RGB, ...
  char transfer_syntax[72];      // the UID
  char series_description[72];
  int32_t rows, columns, frames, samples_per_pixel;
  int32_t bits_allocated, bits_stored, pixel_representation;  // 1: signed stored values
  int32_t has_pixel_data;
  int32_t has_instance_number, instance_number;
  int32_t has_position, has_orientation, has_pixel_spacing, has_gantry_tilt;
  double position[3];            // ImagePositionPatient: centre of the first pixel, mm, LPS
  double orientation[6];         // ImageOrientationPatient: row direction (along a row), column direction
  double pixel_spacing[2];       // PixelSpacing: between rows, between columns (mm)
  double slope, intercept;       // RescaleSlope / RescaleIntercept; 1 and 0 when absent
  double slice_thickness;        // 0 when absent
  double gantry_tilt;            // GantryDetectorTilt, degrees
} cd_header;

/// Reads the header of `path` (not its pixel data). CD_NOT_DICOM when GDCM cannot parse it as
/// DICOM at all (a DICOMDIR-less folder often holds text files); CD_ERROR with a message otherwise.
int cd_read_header(const char *path, cd_header *out, char *error, size_t error_size);

/// Decodes every frame of `path` (any transfer syntax GDCM reads: uncompressed, RLE, JPEG,
/// JPEG-LS, JPEG 2000, deflate) into `count` stored values as doubles, before rescaling and
/// without inverting MONOCHROME1: rows top to bottom, columns left to right. Values of fewer
/// bits than allocated are masked and, when signed, sign-extended. A file that decodes to other
/// than `count` values (truncated, or not the size its header says) is CD_ERROR.
int cd_read_pixels(const char *path, double *out, size_t count, char *error, size_t error_size);

/// The transfer syntaxes `cd_write_slice` can store pixels in; all lossless.
enum {
  CD_EXPLICIT_LITTLE = 0,
  CD_RLE = 1,
  CD_JPEG_LS_LOSSLESS = 2,
  CD_JPEG2000_LOSSLESS = 3,
  CD_JPEG_LOSSLESS = 4,
};

/// One slice of a series to write.
typedef struct {
  int32_t rows, columns;
  double position[3], orientation[6], pixel_spacing[2];
  double slice_thickness;
  double slope, intercept;
  int32_t pixel_signed;          // stored values are int16 (1) or uint16 (0)
  int32_t instance_number, series_number;
  int32_t transfer_syntax;       // CD_EXPLICIT_LITTLE, ...
  const char *modality;          // "CT" or "MR" (sets the SOP class), or another (secondary capture)
  const char *study_uid, *series_uid, *frame_of_reference_uid, *sop_uid;
  const char *series_description;
  const char *image_type;        // backslash-separated, e.g. "DERIVED\\SECONDARY"
} cd_slice;

/// Writes one single-frame grey-scale DICOM file from rows*columns stored 16-bit values.
int cd_write_slice(const char *path, const cd_slice *slice, const void *pixels, char *error, size_t error_size);

/// A new, globally unique DICOM UID (at most 64 characters) into `out`.
int cd_new_uid(char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif
