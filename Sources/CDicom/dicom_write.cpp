// Writing one grey-scale slice of a series, and new UIDs.
#include "cdicom.h"
#include "abort_guard.h"

#include <gdcmDataElement.h>
#include <gdcmFile.h>
#include <gdcmImage.h>
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageWriter.h>
#include <gdcmSmartPointer.h>
#include <gdcmUIDGenerator.h>

#include <cstdio>
#include <cstring>
#include <string>

using cdicom::set_error;

namespace {

/// DS values: 10 significant digits keep a position to well under a micrometre and fit the
/// value representation's 16 characters.
std::string decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

std::string decimals(const double *values, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += (i ? "\\" : "") + decimal(values[i]);
  return text;
}

/// Sets a text element, padded to an even length as DICOM requires (UIDs with NUL, others with a space).
void put(gdcm::DataSet &ds, uint16_t group, uint16_t element, gdcm::VR vr, std::string value) {
  if (value.size() % 2) value += vr == gdcm::VR::UI ? '\0' : ' ';
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<uint32_t>(value.size()));
  ds.Replace(de);
}

gdcm::TransferSyntax::TSType syntax_of(int32_t code) {
  switch (code) {
    case CD_RLE: return gdcm::TransferSyntax::RLELossless;
    case CD_JPEG_LS_LOSSLESS: return gdcm::TransferSyntax::JPEGLSLossless;
    case CD_JPEG2000_LOSSLESS: return gdcm::TransferSyntax::JPEG2000Lossless;
    case CD_JPEG_LOSSLESS: return gdcm::TransferSyntax::JPEGLosslessProcess14_1;
    default: return gdcm::TransferSyntax::ExplicitVRLittleEndian;
  }
}

}  // namespace

extern "C" int cd_write_slice(const char *path, const cd_slice *s, const void *pixels, char *error, size_t error_size) {
  return cdicom::guarded(error, error_size, [&]() -> int {
    // GDCM's writers hold images by reference-counted pointer: the image lives on the heap.
    gdcm::SmartPointer<gdcm::Image> owned = new gdcm::Image;
    gdcm::Image &image = *owned;
    image.SetNumberOfDimensions(2);
    image.SetDimension(0, static_cast<unsigned int>(s->columns));
    image.SetDimension(1, static_cast<unsigned int>(s->rows));
    image.SetPixelFormat(gdcm::PixelFormat(s->pixel_signed ? gdcm::PixelFormat::INT16 : gdcm::PixelFormat::UINT16));
    image.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::MONOCHROME2);
    image.SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
    // A 2-D image's origin array holds two values: the third (the slice's z) is set on its own.
    for (unsigned int axis = 0; axis < 3; ++axis) image.SetOrigin(axis, s->position[axis]);
    image.SetDirectionCosines(s->orientation);
    // GDCM's spacing is along x (between columns), then y (between rows), then z.
    image.SetSpacing(0, s->pixel_spacing[1]);
    image.SetSpacing(1, s->pixel_spacing[0]);
    image.SetSpacing(2, s->slice_thickness > 0 ? s->slice_thickness : 1.0);
    image.SetIntercept(s->intercept);
    image.SetSlope(s->slope);
    gdcm::DataElement pixel_data(gdcm::Tag(0x7fe0, 0x0010));
    pixel_data.SetByteValue(static_cast<const char *>(pixels), static_cast<uint32_t>(2 * s->rows * s->columns));
    image.SetDataElement(pixel_data);

    gdcm::ImageWriter writer;
    gdcm::ImageChangeTransferSyntax change;  // owns the compressed image until the write
    if (s->transfer_syntax != CD_EXPLICIT_LITTLE) {
      change.SetTransferSyntax(syntax_of(s->transfer_syntax));
      change.SetInput(image);
      if (!change.Change()) {
        set_error(error, error_size, "GDCM could not compress the slice in the asked transfer syntax");
        return CD_ERROR;
      }
      writer.SetImage(change.GetOutput());
    } else {
      writer.SetImage(image);
    }

    gdcm::DataSet &ds = writer.GetFile().GetDataSet();
    const std::string modality = s->modality ? s->modality : "OT";
    // CT and MR image storage carry the image plane module (position, orientation, spacing);
    // anything else is a secondary capture.
    const char *sop_class = modality == "CT"   ? "1.2.840.10008.5.1.4.1.1.2"
                            : modality == "MR" ? "1.2.840.10008.5.1.4.1.1.4"
                                               : "1.2.840.10008.5.1.4.1.1.7";
    put(ds, 0x0008, 0x0016, gdcm::VR::UI, sop_class);
    put(ds, 0x0008, 0x0018, gdcm::VR::UI, s->sop_uid);
    put(ds, 0x0008, 0x0008, gdcm::VR::CS, s->image_type ? s->image_type : "DERIVED\\SECONDARY");
    put(ds, 0x0008, 0x0060, gdcm::VR::CS, modality);
    put(ds, 0x0008, 0x103e, gdcm::VR::LO, s->series_description ? s->series_description : "");
    put(ds, 0x0010, 0x0010, gdcm::VR::PN, "SYNTHETIC");
    put(ds, 0x0010, 0x0020, gdcm::VR::LO, "SYNTHETIC");
    put(ds, 0x0020, 0x000d, gdcm::VR::UI, s->study_uid);
    put(ds, 0x0020, 0x000e, gdcm::VR::UI, s->series_uid);
    put(ds, 0x0020, 0x0052, gdcm::VR::UI, s->frame_of_reference_uid);
    put(ds, 0x0020, 0x0011, gdcm::VR::IS, std::to_string(s->series_number));
    put(ds, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(s->instance_number));
    put(ds, 0x0020, 0x0032, gdcm::VR::DS, decimals(s->position, 3));
    put(ds, 0x0020, 0x0037, gdcm::VR::DS, decimals(s->orientation, 6));
    const double spacing[2] = {s->pixel_spacing[0], s->pixel_spacing[1]};
    put(ds, 0x0028, 0x0030, gdcm::VR::DS, decimals(spacing, 2));
    if (s->slice_thickness > 0) put(ds, 0x0018, 0x0050, gdcm::VR::DS, decimal(s->slice_thickness));
    put(ds, 0x0028, 0x1052, gdcm::VR::DS, decimal(s->intercept));
    put(ds, 0x0028, 0x1053, gdcm::VR::DS, decimal(s->slope));

    writer.SetFileName(path);
    if (!writer.Write()) {
      set_error(error, error_size, "GDCM could not write it (check the folder exists and is writable)");
      return CD_ERROR;
    }
    return CD_OK;
  });
}

extern "C" int cd_new_uid(char *out, size_t size) {
  gdcm::UIDGenerator generator;
  const char *uid = generator.Generate();
  if (!uid || std::strlen(uid) + 1 > size) return CD_ERROR;
  std::snprintf(out, size, "%s", uid);
  return CD_OK;
}
