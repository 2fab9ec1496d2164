// Reading one DICOM file: its header fields, then its decoded pixels.
#include "cdicom.h"
#include "abort_guard.h"

#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmStringFilter.h>
#include <gdcmTag.h>
#include <gdcmTrace.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

using cdicom::set_error;

namespace {

const gdcm::Tag kPixelData(0x7fe0, 0x0010);

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  size_t start = 0;
  while (start < text.size() && text[start] == ' ') ++start;
  return text.substr(start);
}

/// An element's value as text (GDCM converts binary VRs and byte order), "" when absent.
std::string text_of(const gdcm::StringFilter &filter, const gdcm::DataSet &ds, uint16_t group, uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag) || ds.GetDataElement(tag).IsEmpty()) return "";
  return trimmed(filter.ToString(tag));
}

void copy_text(char *destination, size_t size, const std::string &text) {
  std::snprintf(destination, size, "%s", text.c_str());
}

/// The backslash-separated numbers of a DS/IS/US value; fewer than `count` (or junk) is false.
bool numbers(const std::string &text, double *out, size_t count) {
  if (text.empty()) return false;
  std::stringstream stream(text);
  std::string part;
  size_t found = 0;
  while (found < count && std::getline(stream, part, '\\')) {
    part = trimmed(part);
    char *end = nullptr;
    double value = std::strtod(part.c_str(), &end);
    if (part.empty() || end == part.c_str() || *end != '\0') return false;
    out[found++] = value;
  }
  return found == count;
}

int integer_or(const std::string &text, int fallback) {
  double value;
  return numbers(text, &value, 1) ? static_cast<int>(value) : fallback;
}

}  // namespace

extern "C" int cd_read_header(const char *path, cd_header *out, char *error, size_t error_size) {
  return cdicom::guarded(error, error_size, [&]() -> int {
    std::memset(out, 0, sizeof(*out));
    gdcm::Reader reader;
    reader.SetFileName(path);
    // Everything before the pixel data: a header read never decodes (or even loads) the pixels.
    if (!reader.ReadUpToTag(kPixelData)) {
      set_error(error, error_size, "not a DICOM file GDCM can parse");
      return CD_NOT_DICOM;
    }
    const gdcm::File &file = reader.GetFile();
    const gdcm::DataSet &ds = file.GetDataSet();
    gdcm::StringFilter filter;
    filter.SetFile(file);
    auto text = [&](uint16_t g, uint16_t e) { return text_of(filter, ds, g, e); };

    copy_text(out->series_uid, sizeof(out->series_uid), text(0x0020, 0x000e));
    copy_text(out->sop_uid, sizeof(out->sop_uid), text(0x0008, 0x0018));
    copy_text(out->frame_of_reference_uid, sizeof(out->frame_of_reference_uid), text(0x0020, 0x0052));
    copy_text(out->modality, sizeof(out->modality), text(0x0008, 0x0060));
    copy_text(out->photometric, sizeof(out->photometric), text(0x0028, 0x0004));
    copy_text(out->series_description, sizeof(out->series_description), text(0x0008, 0x103e));
    copy_text(out->transfer_syntax, sizeof(out->transfer_syntax),
              trimmed(file.GetHeader().GetDataSetTransferSyntax().GetString() ?
                      file.GetHeader().GetDataSetTransferSyntax().GetString() : ""));

    out->rows = integer_or(text(0x0028, 0x0010), 0);
    out->columns = integer_or(text(0x0028, 0x0011), 0);
    out->frames = integer_or(text(0x0028, 0x0008), 1);
    out->samples_per_pixel = integer_or(text(0x0028, 0x0002), 1);
    out->bits_allocated = integer_or(text(0x0028, 0x0100), 0);
    out->bits_stored = integer_or(text(0x0028, 0x0101), out->bits_allocated);
    out->pixel_representation = integer_or(text(0x0028, 0x0103), 0);
    out->has_pixel_data = ds.FindDataElement(kPixelData) ? 1 : 0;

    double value;
    if (numbers(text(0x0020, 0x0013), &value, 1)) {
      out->has_instance_number = 1;
      out->instance_number = static_cast<int32_t>(value);
    }
    out->has_position = numbers(text(0x0020, 0x0032), out->position, 3);
    out->has_orientation = numbers(text(0x0020, 0x0037), out->orientation, 6);
    out->has_pixel_spacing = numbers(text(0x0028, 0x0030), out->pixel_spacing, 2);
    out->has_gantry_tilt = numbers(text(0x0018, 0x1120), &out->gantry_tilt, 1);
    out->slope = numbers(text(0x0028, 0x1053), &value, 1) ? value : 1.0;
    out->intercept = numbers(text(0x0028, 0x1052), &value, 1) ? value : 0.0;
    out->slice_thickness = numbers(text(0x0018, 0x0050), &value, 1) ? value : 0.0;
    return CD_OK;
  });
}

namespace {

/// Stored values of `bits_stored` bits in wider words: masked, and sign-extended when signed.
template <typename Word, typename SignedWord>
void widen(const char *buffer, double *out, size_t count, int bits_stored, bool is_signed) {
  const Word *words = reinterpret_cast<const Word *>(buffer);
  const int width = static_cast<int>(sizeof(Word) * 8);
  const bool partial = bits_stored > 0 && bits_stored < width;
  for (size_t i = 0; i < count; ++i) {
    if (!partial) {
      out[i] = is_signed ? static_cast<double>(static_cast<SignedWord>(words[i])) : static_cast<double>(words[i]);
      continue;
    }
    uint64_t raw = static_cast<uint64_t>(words[i]) & ((uint64_t(1) << bits_stored) - 1);
    if (is_signed && (raw >> (bits_stored - 1)) & 1) {
      out[i] = static_cast<double>(static_cast<int64_t>(raw) - (int64_t(1) << bits_stored));
    } else {
      out[i] = static_cast<double>(raw);
    }
  }
}

}  // namespace

namespace {

/// GDCM reads a file that ends inside its pixel data without failing: it pads what is missing
/// and only warns. Its warnings are caught while a file is read, and that one makes it an error.
class WarningCapture {
 public:
  WarningCapture() {
    gdcm::Trace::SetWarningStream(text_);
    gdcm::Trace::SetWarning(true);
  }
  ~WarningCapture() {
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetWarningStream(sink());
  }
  bool saw(const char *words) const { return text_.str().find(words) != std::string::npos; }

 private:
  static std::ostream &sink() {
    static std::ostringstream discarded;
    discarded.str("");
    return discarded;
  }
  std::ostringstream text_;
};

}  // namespace

extern "C" int cd_read_pixels(const char *path, double *out, size_t count, char *error, size_t error_size) {
  return cdicom::guarded(error, error_size, [&]() -> int {
    gdcm::ImageReader reader;
    reader.SetFileName(path);
    WarningCapture warnings;
    if (!reader.Read()) {
      set_error(error, error_size, "GDCM cannot read its pixel data (truncated or corrupt file)");
      return CD_ERROR;
    }
    if (warnings.saw("Incomplete Pixel Data")) {
      set_error(error, error_size, "the file ends inside its pixel data (it is truncated)");
      return CD_ERROR;
    }
    const gdcm::Image &image = reader.GetImage();
    const gdcm::PixelFormat &format = image.GetPixelFormat();
    if (format.GetSamplesPerPixel() != 1) {
      set_error(error, error_size, "it holds colour pixels (" + std::to_string(format.GetSamplesPerPixel()) +
                                       " samples per pixel); a series to import must be grey-scale");
      return CD_ERROR;
    }
    const size_t length = image.GetBufferLength();
    std::vector<char> buffer(length);
    if (length == 0 || !image.GetBuffer(buffer.data())) {
      set_error(error, error_size, "GDCM cannot decode its pixel data (truncated or corrupt file, or a transfer syntax it lacks a codec for)");
      return CD_ERROR;
    }
    const int bits_stored = format.GetBitsStored();
    const bool is_signed = format.GetPixelRepresentation() == 1;
    size_t available = 0;
    switch (format.GetScalarType()) {
      case gdcm::PixelFormat::UINT8: available = length; if (available == count) widen<uint8_t, int8_t>(buffer.data(), out, count, bits_stored, false); break;
      case gdcm::PixelFormat::INT8: available = length; if (available == count) widen<uint8_t, int8_t>(buffer.data(), out, count, bits_stored, true); break;
      case gdcm::PixelFormat::UINT16: available = length / 2; if (available == count) widen<uint16_t, int16_t>(buffer.data(), out, count, bits_stored, false); break;
      case gdcm::PixelFormat::INT16: available = length / 2; if (available == count) widen<uint16_t, int16_t>(buffer.data(), out, count, bits_stored, true); break;
      case gdcm::PixelFormat::UINT32: available = length / 4; if (available == count) widen<uint32_t, int32_t>(buffer.data(), out, count, bits_stored, false); break;
      case gdcm::PixelFormat::INT32: available = length / 4; if (available == count) widen<uint32_t, int32_t>(buffer.data(), out, count, bits_stored, true); break;
      case gdcm::PixelFormat::FLOAT32:
        available = length / 4;
        if (available == count) for (size_t i = 0; i < count; ++i) { float v; std::memcpy(&v, buffer.data() + 4 * i, 4); out[i] = v; }
        break;
      case gdcm::PixelFormat::FLOAT64:
        available = length / 8;
        if (available == count) std::memcpy(out, buffer.data(), 8 * count);
        break;
      default: {
        set_error(error, error_size, std::string("its pixel format (") + format.GetScalarTypeAsString() +
                                         ") is not one segmadiff reads; convert it to 8- or 16-bit grey-scale");
        return CD_ERROR;
      }
    }
    if (available != count) {
      set_error(error, error_size, "its pixel data decode to " + std::to_string(available) + " values where its header gives " +
                                       std::to_string(count) + " (truncated or inconsistent file)");
      return CD_ERROR;
    }
    return CD_OK;
  });
}
